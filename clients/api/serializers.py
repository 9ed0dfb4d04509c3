"""Shapes of the clients API's requests and answers (validation only; writes go through services)."""

import zoneinfo

from django.core.validators import ProhibitNullCharactersValidator
from rest_framework import serializers

from agency.api.serializers import MAX_ID, StrictSerializer
from clients.models import Client, Feedback, Location, Sentiment, Status, SyncKind, SyncRun


def _validate_timezone(value):
    if value not in zoneinfo.available_timezones():
        raise serializers.ValidationError("Unknown time zone (for example Europe/Paris).")
    return value


class LocationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Location
        fields = ["id", "name", "state", "last_synced_at", "connected_at"]


class ClientSerializer(serializers.ModelSerializer):
    locations = LocationSerializer(many=True, read_only=True)

    class Meta:
        model = Client
        fields = [
            "id",
            "name",
            "timezone",
            "report_recipients",
            "notes",
            "created_at",
            "updated_at",
            "locations",
        ]


class ClientCreateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=150)
    timezone = serializers.CharField(max_length=64, default="UTC", validators=[_validate_timezone])
    report_recipients = serializers.ListField(child=serializers.EmailField(), default=list, max_length=50)
    notes = serializers.CharField(allow_blank=True, default="", max_length=10000)
    location_name = serializers.CharField(max_length=150, allow_blank=True, default="")
    pulseback_email = serializers.EmailField()
    pulseback_password = serializers.CharField(max_length=500, write_only=True, trim_whitespace=False)
    api_url = serializers.URLField(
        allow_blank=True, default="", help_text="Blank: the deployment's PulseBack."
    )
    auth_url = serializers.URLField(allow_blank=True, default="")
    anon_key = serializers.CharField(max_length=500, allow_blank=True, default="")


class ClientCreatedSerializer(ClientSerializer):
    feedback_total = serializers.IntegerField(help_text="Feedback items PulseBack holds for the login.")

    class Meta(ClientSerializer.Meta):
        fields = [*ClientSerializer.Meta.fields, "feedback_total"]


class ClientUpdateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=150, required=False)
    timezone = serializers.CharField(max_length=64, required=False, validators=[_validate_timezone])
    report_recipients = serializers.ListField(child=serializers.EmailField(), required=False, max_length=50)
    notes = serializers.CharField(allow_blank=True, required=False, max_length=10000)


class FeedbackSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="pulseback_id", help_text="PulseBack's id of the item.")
    client = serializers.IntegerField(source="client_id")
    location = serializers.IntegerField(source="location_id")
    themes = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = Feedback
        fields = [
            "id", "created_at", "customer_name", "customer_email", "rating", "comment", "sentiment",
            "sentiment_score", "themes", "status", "source", "client", "location",
        ]  # fmt: skip


class TextFilterField(serializers.CharField):
    """Free text to match; NUL characters are allowed here (they simply match nothing)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]


class FeedbackFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Status.values, required=False)
    sentiment = serializers.ChoiceField(choices=Sentiment.values, required=False)
    limit = serializers.IntegerField(min_value=1, max_value=100, default=20)
    offset = serializers.IntegerField(min_value=0, max_value=10**9, default=0)
    days = serializers.IntegerField(min_value=1, max_value=36500, required=False)
    client = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    location = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    rating = serializers.IntegerField(min_value=1, max_value=5, required=False)
    source = TextFilterField(max_length=200, required=False)
    theme = TextFilterField(max_length=200, required=False)
    q = TextFilterField(max_length=200, required=False, help_text="Text in the comment or customer name.")
    since = serializers.DateTimeField(required=False, help_text="Created at or after (ISO 8601).")
    until = serializers.DateTimeField(required=False, help_text="Created before (ISO 8601).")


class FeedbackPageSerializer(serializers.Serializer):
    feedback = FeedbackSerializer(many=True)
    total = serializers.IntegerField()
    limit = serializers.IntegerField()
    offset = serializers.IntegerField()


class SyncRequestSerializer(StrictSerializer):
    location = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    kind = serializers.ChoiceField(choices=SyncKind.values, default=SyncKind.INCREMENTAL)


class SyncRunSerializer(serializers.ModelSerializer):
    progress = serializers.FloatField(allow_null=True, read_only=True)
    location = serializers.IntegerField(source="location_id")
    client = serializers.IntegerField(source="location.client_id")

    class Meta:
        model = SyncRun
        fields = [
            "id", "client", "location", "kind", "state", "progress", "queued_at", "started_at",
            "finished_at", "expected", "fetched", "created", "updated", "removed", "error",
        ]  # fmt: skip


class SyncQueuedSerializer(serializers.Serializer):
    sync_runs = SyncRunSerializer(many=True)


class StatsQuerySerializer(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="First local day (default: 29 days before end).")
    end = serializers.DateField(required=False, help_text="Last local day, included (default: today).")

    MAX_DAYS = 3 * 366

    def validate(self, attrs):
        if attrs.get("start") and attrs.get("end") and attrs["start"] > attrs["end"]:
            raise serializers.ValidationError({"end": ["Must not be before start."]})
        if attrs.get("start") and attrs.get("end") and (attrs["end"] - attrs["start"]).days >= self.MAX_DAYS:
            raise serializers.ValidationError({"start": [f"At most {self.MAX_DAYS} days."]})
        return attrs


class SentimentCountsSerializer(serializers.Serializer):
    positive = serializers.IntegerField()
    neutral = serializers.IntegerField()
    negative = serializers.IntegerField()


class RatingDistributionSerializer(serializers.Serializer):
    def get_fields(self):
        return {str(n): serializers.IntegerField() for n in range(1, 6)}

    def to_representation(self, instance):
        return {str(key): value for key, value in instance.items()}


class StatsSerializer(serializers.Serializer):
    start = serializers.DateField(help_text="First local day of the client.")
    end = serializers.DateField(help_text="Last local day, included.")
    timezone = serializers.CharField()
    count = serializers.IntegerField()
    average_rating = serializers.FloatField(allow_null=True)
    sentiment = SentimentCountsSerializer()
    negative_share = serializers.FloatField(allow_null=True)
    resolved_share = serializers.FloatField(allow_null=True)
    backlog_new = serializers.IntegerField()
    rating_distribution = RatingDistributionSerializer()


class ClientDetailSerializer(ClientSerializer):
    summary = StatsSerializer(help_text="The dashboard KPIs of the last 30 days.")

    class Meta(ClientSerializer.Meta):
        fields = [*ClientSerializer.Meta.fields, "summary"]
