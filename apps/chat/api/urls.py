from django.urls import path

from apps.chat.api import agent_extension_views as agent_extension
from apps.chat.api import agent_views as agent
from apps.chat.api import visitor_views as visitor
from apps.chat.api.views import ContactCollectionView, ContactDetailView

_VISITOR_CONVERSATION = "chat/visitor/conversations/<str:conversationId>"
_AGENT_CONVERSATION = "agent-sdk/conversations/<str:id>"
_RECEIPT = "chat/conversations/<str:conversationId>/messages/<str:messageId>"

urlpatterns = [
    path("server/contacts", ContactCollectionView.as_view(), name="server-contacts"),
    path("server/contacts/<str:id>", ContactDetailView.as_view(), name="server-contact"),
    # visitor chat
    path("chat/visitor/sessions", visitor.VisitorSessionView.as_view(), name="chat-visitor-sessions"),
    path(
        "chat/visitor/conversations",
        visitor.VisitorConversationCollectionView.as_view(),
        name="chat-visitor-conversations",
    ),
    path("chat/visitor/tickets/open", visitor.VisitorOpenTicketView.as_view(), name="chat-visitor-open-ticket"),
    path("chat/visitor/availability", visitor.VisitorAvailabilityView.as_view(), name="chat-visitor-availability"),
    path(_VISITOR_CONVERSATION, visitor.VisitorConversationView.as_view(), name="chat-visitor-conversation"),
    path(
        f"{_VISITOR_CONVERSATION}/messages",
        visitor.VisitorMessageCollectionView.as_view(),
        name="chat-visitor-messages",
    ),
    path(
        f"{_VISITOR_CONVERSATION}/messages/<str:messageId>",
        visitor.VisitorMessageView.as_view(),
        name="chat-visitor-message",
    ),
    path(
        f"{_VISITOR_CONVERSATION}/attachments", visitor.VisitorAttachmentView.as_view(), name="chat-visitor-attachments"
    ),
    path(
        f"{_VISITOR_CONVERSATION}/attachments/upload",
        visitor.VisitorAttachmentUploadView.as_view(),
        name="chat-visitor-attachment-upload",
    ),
    path(
        f"{_VISITOR_CONVERSATION}/attachments/<str:attachmentId>/download",
        visitor.VisitorAttachmentDownloadView.as_view(),
        name="chat-visitor-attachment-download",
    ),
    path(f"{_RECEIPT}/delivered", agent.MessageDeliveredView.as_view(), name="chat-message-delivered"),
    path(f"{_RECEIPT}/read", agent.MessageReadView.as_view(), name="chat-message-read"),
    # agent CRM
    path("agent-sdk/me", agent.AgentProfileView.as_view(), name="agent-me"),
    path("agent-sdk/presence", agent.AgentPresenceView.as_view(), name="agent-presence"),
    path("agent-sdk/conversations", agent.AgentConversationListView.as_view(), name="agent-conversations"),
    path(_AGENT_CONVERSATION, agent.AgentConversationView.as_view(), name="agent-conversation"),
    path(f"{_AGENT_CONVERSATION}/messages", agent.AgentMessageCollectionView.as_view(), name="agent-messages"),
    path(
        f"{_AGENT_CONVERSATION}/messages/<str:messageId>/read",
        agent.AgentMessageReadView.as_view(),
        name="agent-message-read",
    ),
    path(
        f"{_AGENT_CONVERSATION}/messages/<str:messageId>/attachment",
        agent.AgentAttachmentDeleteView.as_view(),
        name="agent-message-attachment",
    ),
    path(f"{_AGENT_CONVERSATION}/assign", agent.AgentAssignView.as_view(), name="agent-conversation-assign"),
    path(f"{_AGENT_CONVERSATION}/close", agent.AgentCloseView.as_view(), name="agent-conversation-close"),
    # extensions the web inbox needed (apps.chat.api.agent_extension_views)
    path("agent-sdk/agents", agent_extension.AgentTeammateListView.as_view(), name="agent-teammates"),
    path(f"{_AGENT_CONVERSATION}/reopen", agent_extension.AgentReopenView.as_view(), name="agent-conversation-reopen"),
    path(
        f"{_AGENT_CONVERSATION}/contact",
        agent_extension.AgentConversationContactView.as_view(),
        name="agent-conversation-contact",
    ),
    path(
        "agent-sdk/conversations/<str:conversationId>/attachments/<str:attachmentId>/download",
        agent.AgentAttachmentDownloadView.as_view(),
        name="agent-attachment-download",
    ),
]
