"""API endpoints: thin, they validate with serializers and call selectors and services."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from agency.api import selectors, serializers, services
from agency.api.permissions import ManagerOnly, TokenScopePermission
from agency.api.schema import ErrorSerializer
from agency.api.throttling import rate_limit_headers
from clients.models import ConnectionState, SyncState
from clients.selectors import clients_visible_to
from clients.services import sync_queue

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input: the fields at fault."),
    401: OpenApiResponse(ErrorSerializer, description="No, a wrong or a revoked token."),
    403: OpenApiResponse(
        ErrorSerializer, description="The token's scope or the user's role does not allow it."
    ),
    404: OpenApiResponse(ErrorSerializer, description="Not found (or not visible to this token)."),
    429: OpenApiResponse(ErrorSerializer, description="Over the rate limit: see Retry-After."),
    503: OpenApiResponse(ErrorSerializer, description="PulseBack could not be reached: try again later."),
}


def errors(*codes):
    return {code: ERRORS[code] for code in codes}


class RateLimitHeadersMixin:
    """Every answer carries the token's rate-limit state."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        return rate_limit_headers(request, response)


class ApiView(RateLimitHeadersMixin, GenericAPIView):
    pass


class SchemaView(RateLimitHeadersMixin, SpectacularAPIView):
    """The OpenAPI 3 schema (no token needed)."""


class SwaggerView(RateLimitHeadersMixin, SpectacularSwaggerView):
    """Swagger UI, from local static files (drf-spectacular-sidecar)."""


class RedocView(RateLimitHeadersMixin, SpectacularRedocView):
    """Redoc, from local static files (drf-spectacular-sidecar)."""


def _client_of(request, pk):
    return get_object_or_404(clients_visible_to(user=request.user), pk=pk)


class ClientListView(ApiView):
    serializer_class = serializers.ClientSerializer

    def get_queryset(self):
        return clients_visible_to(user=self.request.user).prefetch_related("locations")

    @extend_schema(
        summary="List the clients this token may see",
        responses={200: serializers.ClientSerializer(many=True), **errors(401, 429)},
    )
    def get(self, request):
        return Response(serializers.ClientSerializer(self.get_queryset(), many=True).data)

    @extend_schema(
        summary="Create a client with its first location (its PulseBack login is tested first)",
        request=serializers.ClientCreateSerializer,
        responses={201: serializers.ClientCreatedSerializer, **errors(400, 401, 403, 429, 503)},
    )
    def post(self, request):
        data = serializers.ClientCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["timezone_name"] = values.pop("timezone")
        client, _location, total = services.client_create_checked(**values)
        client = self.get_queryset().get(pk=client.pk)
        client.feedback_total = total
        return Response(serializers.ClientCreatedSerializer(client).data, status=status.HTTP_201_CREATED)


class ClientDetailView(ApiView):
    serializer_class = serializers.ClientSerializer

    def get_permissions(self):
        if self.request.method == "DELETE":
            return [TokenScopePermission(), ManagerOnly()]
        return super().get_permissions()

    def _client(self, request, pk):
        return get_object_or_404(clients_visible_to(user=request.user).prefetch_related("locations"), pk=pk)

    @extend_schema(
        summary="One client, with its KPIs of the last 30 days",
        responses={200: serializers.ClientDetailSerializer, **errors(401, 404, 429)},
    )
    def get(self, request, pk):
        client = self._client(request, pk)
        client.summary = selectors.client_stats(client=client)
        return Response(serializers.ClientDetailSerializer(client).data)

    @extend_schema(
        summary="Change a client's name, time zone, report recipients or notes",
        request=serializers.ClientUpdateSerializer,
        responses={200: serializers.ClientSerializer, **errors(400, 401, 403, 404, 429)},
    )
    def patch(self, request, pk):
        client = self._client(request, pk)
        data = serializers.ClientUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.client_update(client=client, **data.validated_data)
        return Response(serializers.ClientSerializer(self._client(request, pk)).data)

    @extend_schema(
        summary="Delete a client with its locations and feedback (owners and admins)",
        responses={204: None, **errors(401, 403, 404, 429)},
    )
    def delete(self, request, pk):
        services.client_delete(client=self._client(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class FeedbackListView(ApiView):
    serializer_class = serializers.FeedbackSerializer

    @extend_schema(
        summary="Feedback, newest first: PulseBack's filters and envelope, plus the portal's own",
        parameters=[serializers.FeedbackFilterSerializer],
        responses={200: serializers.FeedbackPageSerializer, **errors(400, 401, 429)},
    )
    def get(self, request):
        filters = serializers.FeedbackFilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        values = filters.validated_data
        items = selectors.feedback_list(user=request.user, filters=values)
        limit, offset = values["limit"], values["offset"]
        page = items[offset : offset + limit]
        return Response(
            {
                "feedback": serializers.FeedbackSerializer(page, many=True).data,
                "total": items.count(),
                "limit": limit,
                "offset": offset,
            }
        )


class ClientSyncView(ApiView):
    serializer_class = serializers.SyncRunSerializer

    @extend_schema(
        summary="Queue a sync of the client's locations (or of one of them)",
        request=serializers.SyncRequestSerializer,
        responses={
            202: serializers.SyncQueuedSerializer,
            409: OpenApiResponse(ErrorSerializer, description="Every location is paused."),
            404: OpenApiResponse(ErrorSerializer, description="No such client, or no such location of it."),
            **errors(400, 401, 403, 404, 429),
        },
    )
    def post(self, request, pk):
        client = _client_of(request, pk)
        data = serializers.SyncRequestSerializer(data=request.data if request.data else {})
        data.is_valid(raise_exception=True)
        locations = client.locations.exclude(state=ConnectionState.PAUSED)
        if "location" in data.validated_data:
            locations = locations.filter(pk=data.validated_data["location"])
            if not client.locations.filter(pk=data.validated_data["location"]).exists():
                return Response({"message": "No such location.", "fields": {"location": ["Not found."]}}, 404)
        runs = []
        for location in locations:
            active = location.sync_runs.filter(state__in=[SyncState.QUEUED, SyncState.RUNNING]).first()
            runs.append(active or sync_queue(location=location, kind=data.validated_data["kind"]))
        if not runs:
            return Response({"message": "Every location of this client is paused."}, status.HTTP_409_CONFLICT)
        runs = selectors.sync_runs_visible_to(user=request.user).filter(pk__in=[run.pk for run in runs])
        return Response(
            {"sync_runs": serializers.SyncRunSerializer(runs, many=True).data},
            status=status.HTTP_202_ACCEPTED,
        )


class SyncRunDetailView(ApiView):
    serializer_class = serializers.SyncRunSerializer

    @extend_schema(
        summary="A sync run's state and progress",
        responses={200: serializers.SyncRunSerializer, **errors(401, 404, 429)},
    )
    def get(self, request, pk):
        run = get_object_or_404(selectors.sync_runs_visible_to(user=request.user), pk=pk)
        return Response(serializers.SyncRunSerializer(run).data)


class ClientStatsView(ApiView):
    serializer_class = serializers.StatsSerializer

    @extend_schema(
        summary="The dashboard KPIs of a client over local days start..end (end included)",
        parameters=[serializers.StatsQuerySerializer],
        responses={200: serializers.StatsSerializer, **errors(400, 401, 404, 429)},
    )
    def get(self, request, pk):
        client = _client_of(request, pk)
        query = serializers.StatsQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        stats = selectors.client_stats(client=client, **query.validated_data)
        return Response(serializers.StatsSerializer(stats).data)


@extend_schema(exclude=True)
class NotFoundView(ApiView):
    """Any other address under /api/v1/: a JSON 404 (not the site's HTML page)."""

    permission_classes = []

    def _not_found(self, request, *args, **kwargs):
        return Response({"message": "Not found."}, status=status.HTTP_404_NOT_FOUND)

    get = post = put = patch = delete = head = options = _not_found
