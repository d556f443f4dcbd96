from django.urls import path

from apps.ai.api import agent, knowledge, routing, visitor

urlpatterns = [
    path("ai/visitor/routing", visitor.AiRoutingView.as_view(), name="ai-visitor-routing"),
    path("ai/visitor/conversations", visitor.AiConversationsView.as_view(), name="ai-visitor-conversations"),
    path("ai/visitor/chat", visitor.AiChatView.as_view(), name="ai-visitor-chat"),
    path("ai/visitor/handoff", visitor.AiHandoffView.as_view(), name="ai-visitor-handoff"),
    path("ai/visitor/knowledge/search", visitor.AiKnowledgeSearchView.as_view(), name="ai-visitor-knowledge-search"),
    path("ai/visitor/realtime/call", visitor.AiRealtimeCallView.as_view(), name="ai-visitor-realtime-call"),
    path(
        "ai/visitor/realtime/calls/<str:sessionId>/end",
        visitor.AiRealtimeCallEndView.as_view(),
        name="ai-visitor-realtime-call-end",
    ),
    path("sdk/developer/ai-routing", routing.DeveloperAiRoutingView.as_view(), name="developer-ai-routing"),
    path("agent-sdk/conversations/<str:id>/ai-drafts", agent.AgentAiDraftsView.as_view(), name="agent-ai-drafts"),
    path("admin-sdk/ai/knowledge/documents", knowledge.KnowledgeDocumentsView.as_view(), name="ai-knowledge-documents"),
    path("admin-sdk/ai/knowledge/urls", knowledge.KnowledgeUrlsView.as_view(), name="ai-knowledge-urls"),
    path(
        "admin-sdk/ai/knowledge/<str:knowledge_item_id>/reindex",
        knowledge.KnowledgeReindexView.as_view(),
        name="ai-knowledge-reindex",
    ),
    path("admin-sdk/ai/knowledge/<str:knowledge_item_id>", knowledge.KnowledgeItemView.as_view(), name="ai-knowledge"),
]
