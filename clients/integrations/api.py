"""API endpoints for webhooks, point-of-sale triggers and feedback requests (mounted under /api/v1/)."""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from agency.api.permissions import ManagerOnly, TokenScopePermission
from agency.api.schema import ErrorSerializer
from agency.api.serializers import MAX_ID, StrictSerializer
from agency.api.views import ApiView, errors
from agency.webhooks import selectors as webhook_selectors
from agency.webhooks import services as webhook_services
from agency.webhooks.models import Event, WebhookDelivery, WebhookEndpoint
from clients.api.selectors import locations_visible_to
from clients.integrations import services
from clients.integrations.models import PosOrder, PosTrigger
from clients.selectors import clients_visible_to


class EndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=Event.values))
    client = serializers.IntegerField(source="client_id", allow_null=True)

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id", "url", "description", "events", "client", "is_active", "consecutive_failures",
            "disabled_at", "disabled_reason", "created_at",
        ]  # fmt: skip


class EndpointCreatedSerializer(EndpointSerializer):
    secret = serializers.CharField(help_text="The signing secret: shown only in this answer.")

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]


class EndpointCreateSerializer(StrictSerializer):
    url = serializers.URLField(max_length=2000)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=Event.values), min_length=1, max_length=10
    )
    client = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    description = serializers.CharField(max_length=200, allow_blank=True, default="")


class EndpointUpdateSerializer(StrictSerializer):
    url = serializers.URLField(max_length=2000, required=False)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=Event.values), min_length=1, max_length=10, required=False
    )
    description = serializers.CharField(max_length=200, allow_blank=True, required=False)
    is_active = serializers.BooleanField(required=False)


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id", "event_id", "event", "state", "attempts", "response_code", "duration_ms", "error",
            "created_at", "last_attempt_at", "delivered_at",
        ]  # fmt: skip


def _created_with_secret(endpoint, secret):
    return {**EndpointSerializer(endpoint).data, "secret": secret}


class WebhookListView(ApiView):
    serializer_class = EndpointSerializer
    permission_classes = [TokenScopePermission, ManagerOnly]

    @extend_schema(
        summary="Webhook endpoints", responses={200: EndpointSerializer(many=True), **errors(401, 403, 429)}
    )
    def get(self, request):
        return Response(EndpointSerializer(webhook_selectors.endpoints_all(), many=True).data)

    @extend_schema(
        summary="Subscribe a URL to events (the signing secret is in this answer only)",
        request=EndpointCreateSerializer,
        responses={201: EndpointCreatedSerializer, **errors(400, 401, 403, 404, 429)},
    )
    def post(self, request):
        data = EndpointCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        client = None
        if values.pop("client", None):
            client = clients_visible_to(user=request.user).filter(pk=data.validated_data["client"]).first()
            if client is None:
                return Response({"message": "No such client.", "fields": {"client": ["Not found."]}}, 404)
        endpoint, secret = webhook_services.endpoint_create(actor=request.user, client=client, **values)
        return Response(_created_with_secret(endpoint, secret), status=status.HTTP_201_CREATED)


class WebhookDetailView(ApiView):
    serializer_class = EndpointSerializer
    permission_classes = [TokenScopePermission, ManagerOnly]

    @extend_schema(
        summary="One webhook endpoint", responses={200: EndpointSerializer, **errors(401, 403, 404, 429)}
    )
    def get(self, request, pk):
        return Response(EndpointSerializer(get_object_or_404(webhook_selectors.endpoints_all(), pk=pk)).data)

    @extend_schema(
        summary="Change an endpoint, or re-enable a disabled one",
        request=EndpointUpdateSerializer,
        responses={200: EndpointSerializer, **errors(400, 401, 403, 404, 429)},
    )
    def patch(self, request, pk):
        endpoint = get_object_or_404(webhook_selectors.endpoints_all(), pk=pk)
        data = EndpointUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        webhook_services.endpoint_update(actor=request.user, endpoint=endpoint, **data.validated_data)
        return Response(EndpointSerializer(endpoint).data)

    @extend_schema(summary="Unsubscribe", responses={204: None, **errors(401, 403, 404, 429)})
    def delete(self, request, pk):
        webhook_services.endpoint_delete(
            actor=request.user, endpoint=get_object_or_404(webhook_selectors.endpoints_all(), pk=pk)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeliveryListView(ApiView):
    serializer_class = DeliverySerializer
    permission_classes = [TokenScopePermission, ManagerOnly]

    @extend_schema(
        summary="The endpoint's delivery log (latest 100)",
        responses={200: DeliverySerializer(many=True), **errors(401, 403, 404, 429)},
    )
    def get(self, request, pk):
        endpoint = get_object_or_404(webhook_selectors.endpoints_all(), pk=pk)
        return Response(
            DeliverySerializer(webhook_selectors.deliveries_of(endpoint=endpoint)[:100], many=True).data
        )


class PosTriggerSerializer(serializers.ModelSerializer):
    location = serializers.IntegerField(source="location_id")
    url = serializers.SerializerMethodField()

    class Meta:
        model = PosTrigger
        fields = ["location", "url", "starting_rating", "is_enabled", "created_at", "rotated_at"]

    def get_url(self, trigger) -> str:
        request = self.context["request"]
        return request.build_absolute_uri(reverse("pos_trigger", kwargs={"key": trigger.key}))


class PosTriggerWithSecretSerializer(PosTriggerSerializer):
    secret = serializers.CharField(help_text="Shown only when the trigger is created or its secret rotated.")

    class Meta(PosTriggerSerializer.Meta):
        fields = [*PosTriggerSerializer.Meta.fields, "secret"]


class PosTriggerSetupSerializer(StrictSerializer):
    starting_rating = serializers.IntegerField(min_value=1, max_value=5, required=False)
    rotate_secret = serializers.BooleanField(default=False)
    is_enabled = serializers.BooleanField(required=False)


class PosTriggerView(ApiView):
    serializer_class = PosTriggerSerializer
    permission_classes = [TokenScopePermission, ManagerOnly]

    def _location(self, request, pk):
        return get_object_or_404(locations_visible_to(user=request.user), pk=pk)

    @extend_schema(
        summary="A location's point-of-sale trigger URL (without its secret)",
        responses={200: PosTriggerSerializer, **errors(401, 403, 404, 429)},
    )
    def get(self, request, pk):
        trigger = get_object_or_404(PosTrigger, location=self._location(request, pk))
        return Response(PosTriggerSerializer(trigger, context={"request": request}).data)

    @extend_schema(
        summary="Create the trigger, change its starting rating, or rotate its secret",
        request=PosTriggerSetupSerializer,
        responses={200: PosTriggerWithSecretSerializer, **errors(400, 401, 403, 404, 429)},
    )
    def post(self, request, pk):
        location = self._location(request, pk)
        data = PosTriggerSetupSerializer(data=request.data if request.data else {})
        data.is_valid(raise_exception=True)
        trigger, secret = services.pos_trigger_setup(
            actor=request.user, location=location, **data.validated_data
        )
        answer = PosTriggerSerializer(trigger, context={"request": request}).data
        if secret:
            answer["secret"] = secret
        return Response(answer)


class FeedbackRequestSerializer(StrictSerializer):
    location = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    order_id = serializers.CharField(
        max_length=200, help_text="Your id of the order: a repeat creates nothing."
    )
    customer_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    customer_email = serializers.EmailField(max_length=320, required=False, allow_blank=True)
    customer_phone = serializers.CharField(max_length=50, required=False, allow_blank=True)
    comment = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    rating = serializers.IntegerField(
        min_value=1, max_value=5, required=False, help_text="Default: the location's starting rating (5)."
    )


class FeedbackRequestAnswerSerializer(serializers.ModelSerializer):
    location = serializers.IntegerField(source="location_id")

    class Meta:
        model = PosOrder
        fields = [
            "id",
            "location",
            "order_id",
            "rating",
            "state",
            "pulseback_id",
            "error",
            "created_at",
            "sent_at",
        ]


class ClientFeedbackCreateView(ApiView):
    serializer_class = FeedbackRequestAnswerSerializer

    @extend_schema(
        summary="Create feedback in PulseBack for a completed order (as the point-of-sale trigger does)",
        request=FeedbackRequestSerializer,
        responses={
            202: OpenApiResponse(
                FeedbackRequestAnswerSerializer, description="Recorded; sent to PulseBack next."
            ),
            200: OpenApiResponse(
                FeedbackRequestAnswerSerializer, description="This order id was already received."
            ),
            **errors(400, 401, 403, 404, 429),
        },
    )
    def post(self, request, pk):
        client = get_object_or_404(clients_visible_to(user=request.user), pk=pk)
        data = FeedbackRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        locations = client.locations.order_by("pk")
        location = (
            locations.filter(pk=values.pop("location")).first() if "location" in values else locations.first()
        )
        if location is None:
            return Response(
                {"message": "No such location.", "fields": {"location": ["Not a location of this client."]}},
                404,
            )
        order, created = services.pos_order_receive(location=location, channel="api", **values)
        return Response(
            FeedbackRequestAnswerSerializer(order).data, status=status.HTTP_202_ACCEPTED if created else 200
        )


class FeedbackRequestDetailView(ApiView):
    serializer_class = FeedbackRequestAnswerSerializer

    @extend_schema(
        summary="A feedback request (from the point-of-sale URL or the API): sent to PulseBack yet?",
        responses={200: FeedbackRequestAnswerSerializer, **errors(401, 404, 429)},
    )
    def get(self, request, pk):
        orders = PosOrder.objects.filter(location__in=locations_visible_to(user=request.user))
        return Response(FeedbackRequestAnswerSerializer(get_object_or_404(orders, pk=pk)).data)


__all__ = ["ErrorSerializer"]
