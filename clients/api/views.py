"""API endpoints for clients, feedback, syncs and statistics: thin, they validate with serializers
and call selectors and services."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from agency.api.permissions import ManagerWrites, TokenScopePermission
from agency.api.schema import ErrorSerializer
from agency.api.views import ApiView, errors
from clients import services
from clients.access import visible_client_or_404
from clients.api import selectors, serializers
from clients.models import ConnectionState
from clients.selectors import clients_visible_to


class ClientListView(ApiView):
    serializer_class = serializers.ClientSerializer
    permission_classes = [TokenScopePermission, ManagerWrites]

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
        client, location = services.client_create(actor=request.user, test_connection=True, **values)
        client = self.get_queryset().get(pk=client.pk)
        client.feedback_total = location.pulseback_total
        return Response(serializers.ClientCreatedSerializer(client).data, status=status.HTTP_201_CREATED)


class ClientDetailView(ApiView):
    serializer_class = serializers.ClientSerializer
    permission_classes = [TokenScopePermission, ManagerWrites]

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
        services.client_update(actor=request.user, client=client, **data.validated_data)
        return Response(serializers.ClientSerializer(self._client(request, pk)).data)

    @extend_schema(
        summary="Delete a client with its locations and feedback (owners and admins)",
        responses={204: None, **errors(401, 403, 404, 429)},
    )
    def delete(self, request, pk):
        services.client_remove(actor=request.user, client=self._client(request, pk))
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
        page, total = selectors.feedback_page(user=request.user, filters=values)
        return Response(
            {
                "feedback": serializers.FeedbackSerializer(page, many=True).data,
                "total": total,
                "limit": values["limit"],
                "offset": values["offset"],
            }
        )


class ClientSyncView(ApiView):
    serializer_class = serializers.SyncRunSerializer
    permission_classes = [TokenScopePermission, ManagerWrites]

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
        client = visible_client_or_404(user=request.user, pk=pk)
        data = serializers.SyncRequestSerializer(data=request.data if request.data else {})
        data.is_valid(raise_exception=True)
        locations = client.locations.exclude(state=ConnectionState.PAUSED)
        if "location" in data.validated_data:
            locations = locations.filter(pk=data.validated_data["location"])
            if not client.locations.filter(pk=data.validated_data["location"]).exists():
                return Response({"message": "No such location.", "fields": {"location": ["Not found."]}}, 404)
        runs = []
        for location in locations:
            runs.append(services.sync_queue(location=location, kind=data.validated_data["kind"]))
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
        client = visible_client_or_404(user=request.user, pk=pk)
        query = serializers.StatsQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        stats = selectors.client_stats(client=client, **query.validated_data)
        return Response(serializers.StatsSerializer(stats).data)
