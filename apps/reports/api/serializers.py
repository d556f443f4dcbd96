"""Report query parameters and output shapes (the contract's, plus the latency extensions)."""

from rest_framework import serializers

from apps.reports.periods import PERIODS
from ringnity.api.outputs import OutputSerializer, UTCDateTimeField
from ringnity.api.serializers import InputSerializer, QuerySerializer


class ReportQuery(QuerySerializer):
    period = serializers.ChoiceField(choices=PERIODS, required=False, default="today")
    startDate = serializers.CharField(required=False, allow_blank=True, max_length=64)
    endDate = serializers.CharField(required=False, allow_blank=True, max_length=64)
    agentId = serializers.CharField(required=False, allow_blank=True, max_length=64)


class ReportExportQuery(ReportQuery):
    format = serializers.ChoiceField(choices=["json", "csv"], required=False, default="json")


class LatencyOutput(serializers.Serializer):
    median = serializers.FloatField(allow_null=True, help_text="Median seconds (extension).")
    p90 = serializers.FloatField(allow_null=True, help_text="90th percentile seconds (extension).")
    count = serializers.IntegerField(help_text="Conversations measured.")


class _Latency(serializers.Serializer):
    firstResponseSeconds = LatencyOutput(help_text="Extension: conversation start to the first agent message.")
    resolutionSeconds = LatencyOutput(help_text="Extension: conversation start to resolve/close.")


class ReportPeriodOutput(serializers.Serializer):
    type = serializers.ChoiceField(choices=PERIODS)
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class ReportCallSummaryOutput(serializers.Serializer):
    totalIncoming = serializers.IntegerField()
    totalAnswered = serializers.IntegerField()
    totalMissed = serializers.IntegerField()
    answerRate = serializers.IntegerField(min_value=0, max_value=100)
    avgDurationSeconds = serializers.IntegerField()
    totalHandled = serializers.IntegerField()
    currentQueueCount = serializers.IntegerField()


class ReportChatSummaryOutput(_Latency):
    totalConversations = serializers.IntegerField()
    openConversations = serializers.IntegerField()
    pendingConversations = serializers.IntegerField()
    resolvedConversations = serializers.IntegerField()
    closedConversations = serializers.IntegerField()
    totalMessages = serializers.IntegerField()
    agentMessages = serializers.IntegerField()
    visitorMessages = serializers.IntegerField()
    conversationResolutionRate = serializers.IntegerField(min_value=0, max_value=100)


class ReportSatisfactionSummaryOutput(serializers.Serializer):
    avgRatingScore = serializers.FloatField()
    totalRatings = serializers.IntegerField()
    satisfactionRate = serializers.IntegerField(min_value=0, max_value=100)


class ReportSummaryOutput(ReportCallSummaryOutput, ReportChatSummaryOutput, ReportSatisfactionSummaryOutput):
    calls = ReportCallSummaryOutput()
    chat = ReportChatSummaryOutput()
    satisfaction = ReportSatisfactionSummaryOutput()


class ReportAgentBreakdownItemOutput(_Latency):
    agentId = serializers.CharField()
    agentName = serializers.CharField()
    username = serializers.CharField()
    callsHandled = serializers.IntegerField()
    avgDurationSeconds = serializers.IntegerField()
    avgRating = serializers.FloatField()
    totalRatings = serializers.IntegerField()
    conversationsAssigned = serializers.IntegerField()


class ReportTimeseriesPointOutput(_Latency):
    date = serializers.DateField()
    callsTotal = serializers.IntegerField()
    callsAnswered = serializers.IntegerField()
    callsMissed = serializers.IntegerField()
    conversations = serializers.IntegerField()
    conversationsResolved = serializers.IntegerField()
    messages = serializers.IntegerField()


class ReportOutput(serializers.Serializer):
    period = ReportPeriodOutput()
    summary = ReportSummaryOutput()
    agentBreakdown = ReportAgentBreakdownItemOutput(many=True)
    timeseries = ReportTimeseriesPointOutput(many=True)


class ReportTimeseriesOutput(serializers.Serializer):
    period = ReportPeriodOutput()
    timeseries = ReportTimeseriesPointOutput(many=True)


class ReportExportOutput(serializers.Serializer):
    report = ReportOutput()
    exportedAt = UTCDateTimeField()
    format = serializers.ChoiceField(choices=["json", "csv"])


class RatingInput(InputSerializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class RatingOutput(OutputSerializer):
    """A visitor's rating of a conversation (a documented extension: ``rateVisitorConversation``)."""

    conversationId = serializers.CharField(source="conversation.public_id")
    score = serializers.IntegerField()
    comment = serializers.CharField()
    createdAt = UTCDateTimeField(source="created_at")
