"""Reports through the API: queue one, follow its state, download its PDF."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from agency.api.schema import ErrorSerializer
from agency.api.views import ApiView, errors
from clients.access import visible_client_or_404
from clients.selectors import clients_visible_to
from reports.models import Report, Section
from reports.services import PeriodTaken, report_request


class ReportSerializer(serializers.ModelSerializer):
    client = serializers.IntegerField(source="client_id")
    location = serializers.IntegerField(source="location_id", allow_null=True)
    pdf_ready = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = ["id", "client", "location", "start", "end", "sections", "state", "error", "created_at",
                  "generated_at", "pdf_ready", "language", "commentary", "superseded_by"]  # fmt: skip

    def get_pdf_ready(self, report) -> bool:
        return bool(report.pdf)


class ReportRequestSerializer(serializers.Serializer):
    client = serializers.IntegerField(min_value=1)
    location = serializers.IntegerField(min_value=1, required=False)
    start = serializers.DateField(help_text="First local day of the period.")
    end = serializers.DateField(help_text="Last local day of the period, included; before today.")
    sections = serializers.ListField(child=serializers.ChoiceField(choices=Section.choices), required=False,
                                     allow_empty=False, help_text="Default: the template's.")  # fmt: skip
    commentary = serializers.CharField(
        required=False, allow_blank=True, help_text="The agency's words for this report (Markdown)."
    )
    replace = serializers.BooleanField(
        required=False, default=False,
        help_text="The period already has a report: replace it (the old one is archived). Without it, 409.",
    )  # fmt: skip


PERIOD_TAKEN = OpenApiResponse(
    ErrorSerializer, description="The period already has a report: send replace=true to replace it."
)


def _visible_reports(user):
    return Report.objects.filter(client__in=clients_visible_to(user=user))


class ReportCreateView(ApiView):
    serializer_class = ReportSerializer

    @extend_schema(
        summary="Queue a report of a client (or one location) over a period",
        request=ReportRequestSerializer,
        responses={202: ReportSerializer, 409: PERIOD_TAKEN, **errors(400, 401, 403, 404, 429)},
    )
    def post(self, request):
        data = ReportRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        client = visible_client_or_404(user=request.user, pk=data.validated_data["client"])
        location = None
        if "location" in data.validated_data:
            location = client.locations.filter(pk=data.validated_data["location"]).first()
            if location is None:
                return Response({"message": "No such location.", "fields": {"location": ["Not found."]}}, 404)
        try:
            report = report_request(
                client=client, location=location, start=data.validated_data["start"],
                end=data.validated_data["end"], sections=data.validated_data.get("sections", []),
                requested_by=request.user, commentary=data.validated_data.get("commentary", ""),
                replace=data.validated_data["replace"],
            )  # fmt: skip
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
        except PeriodTaken as taken:
            message = (
                f"Report {taken.existing.pk} covers this period already: send replace=true to replace it."
            )
            return Response({"message": message, "fields": {"replace": [message]}}, 409)
        return Response(ReportSerializer(report).data, status=status.HTTP_202_ACCEPTED)


class ReportDetailView(ApiView):
    serializer_class = ReportSerializer

    @extend_schema(summary="A report's state", responses={200: ReportSerializer, **errors(401, 404, 429)})
    def get(self, request, pk):
        return Response(ReportSerializer(get_object_or_404(_visible_reports(request.user), pk=pk)).data)


class ReportPdfView(ApiView):
    serializer_class = ReportSerializer

    @extend_schema(
        summary="A report's PDF, once generated",
        responses={200: OpenApiResponse(OpenApiTypes.BINARY, description="application/pdf"),
                   **errors(401, 404, 429)},
    )  # fmt: skip
    def get(self, request, pk):
        report = get_object_or_404(_visible_reports(request.user), pk=pk)
        if not report.pdf:
            return Response({"message": "The PDF is not generated yet: see the report's state."}, 404)
        name = report.pdf.name.rsplit("/", 1)[-1]
        return FileResponse(
            report.pdf.open("rb"), as_attachment=True, filename=name, content_type="application/pdf"
        )
