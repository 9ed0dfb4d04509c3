"""The agency's handling of feedback in the API (mounted under /api/v1/): the same as the portal,
role by role. Client viewers' tokens get 403 (the handling and notes are internal to the agency);
changes need a write token of an owner, admin or staff member.

A feedback item is named as everywhere in the API: its location and its PulseBack ``id``.
"""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from agency.api.permissions import TokenScopePermission
from agency.api.schema import ErrorSerializer
from agency.api.serializers import MAX_ID, StrictSerializer
from agency.api.views import ApiView, errors
from clients.api.selectors import feedback_list
from clients.api.serializers import FeedbackFilterSerializer, FeedbackSerializer, TextFilterField
from clients.models import Feedback
from clients.selectors import clients_visible_to, feedback_handling_matching
from clients.workflow import selectors, services
from clients.workflow.models import TAG_MAX_LENGTH, FeedbackHandling, FeedbackNote
from clients.workflow.services import BULK_CHANGES, BULK_MAX, NOTE_MAX_LENGTH, TAG_PATTERN, TAGS_PER_ITEM


class TeamOnly(BasePermission):
    message = "Client viewers do not see the agency's handling of feedback."

    def has_permission(self, request, view):
        return request.user is not None and selectors.may_handle(request.user)


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField(source="full_name")


class MentionableSerializer(MemberSerializer):
    handle = serializers.CharField(help_text="Write @handle in a note to mention (and email) them.")


class HandlingSerializer(serializers.Serializer):
    assignee = MemberSerializer(allow_null=True)
    assigned_at = serializers.DateTimeField(allow_null=True)
    tags = serializers.ListField(child=serializers.CharField())
    handled = serializers.BooleanField(source="is_handled")
    handled_at = serializers.DateTimeField(allow_null=True)
    handled_by = MemberSerializer(allow_null=True)


class NoteSerializer(serializers.ModelSerializer):
    author = MemberSerializer(allow_null=True)
    mentions = MemberSerializer(many=True)

    class Meta:
        model = FeedbackNote
        fields = ["id", "author", "author_label", "body", "mentions", "created_at"]


class WorkflowSerializer(HandlingSerializer):
    id = serializers.CharField(source="feedback.pulseback_id", help_text="PulseBack's id of the item.")
    client = serializers.IntegerField(source="feedback.client_id")
    location = serializers.IntegerField(source="feedback.location_id")
    notes = NoteSerializer(many=True)


def _handling(item):
    try:
        return item.handling
    except FeedbackHandling.DoesNotExist:
        return FeedbackHandling(feedback=item)


class FeedbackWithHandlingSerializer(FeedbackSerializer):
    handling = serializers.SerializerMethodField()

    class Meta(FeedbackSerializer.Meta):
        fields = [*FeedbackSerializer.Meta.fields, "handling"]

    @extend_schema_field(HandlingSerializer)
    def get_handling(self, item):
        return HandlingSerializer(_handling(item)).data


class HandlingPageSerializer(serializers.Serializer):
    feedback = FeedbackWithHandlingSerializer(many=True)
    total = serializers.IntegerField()
    limit = serializers.IntegerField()
    offset = serializers.IntegerField()


class HandlingFilterSerializer(FeedbackFilterSerializer):
    assignee = serializers.RegexField(
        r"^(me|none|[1-9][0-9]{0,17})$", required=False,
        help_text="“me”, “none” (unassigned), or a member's id (GET /api/v1/workflow/members).",
    )  # fmt: skip
    handled = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Handled by the agency, or not yet."
    )
    tag = TextFilterField(max_length=TAG_MAX_LENGTH, required=False)


def _tag_field(**kwargs):
    return serializers.RegexField(rf"^\s*{TAG_PATTERN}\s*$", max_length=TAG_MAX_LENGTH, **kwargs)


def _clean_tags(tags):
    try:
        return [services.tag_clean(tag) for tag in tags]
    except ValidationError as exc:
        raise serializers.ValidationError(exc.messages) from None


class HandlingUpdateSerializer(StrictSerializer):
    assignee = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True,
                                        help_text="A member's id, or null for nobody.")  # fmt: skip
    tags = serializers.ListField(child=_tag_field(), max_length=TAGS_PER_ITEM, required=False,
                                 help_text="The item's whole list of tags.")  # fmt: skip
    handled = serializers.BooleanField(required=False, help_text="Handled by the agency.")

    def validate_tags(self, tags):
        return _clean_tags(tags)


class NoteCreateSerializer(StrictSerializer):
    # Some text that is not only blanks (and no NUL: PostgreSQL stores none).
    body = serializers.RegexField(r"^[^\x00]*[^\s\x00][^\x00]*$", max_length=NOTE_MAX_LENGTH,
                                  help_text="Text; @handle mentions (and emails) a member.")  # fmt: skip


class BulkFiltersSerializer(HandlingFilterSerializer):
    limit = offset = None  # the whole selection, not a page


class BulkSerializer(StrictSerializer):
    filters = BulkFiltersSerializer(
        required=False, default=dict, help_text="As for GET /api/v1/workflow/feedback."
    )
    assignee = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True,
                                        help_text="Assign to this member, or null to unassign.")  # fmt: skip
    handled = serializers.BooleanField(required=False, help_text="Mark handled by the agency, or not.")
    add_tag = _tag_field(required=False, help_text="Add this tag.")
    remove_tag = _tag_field(required=False, help_text="Remove this tag.")
    expected_count = serializers.IntegerField(
        min_value=0, max_value=BULK_MAX, required=False,
        help_text="How many items you expect the filters to select: 409 (and nothing changed) if not.",
    )  # fmt: skip

    def validate_add_tag(self, tag):
        return _clean_tags([tag])[0]

    def validate_remove_tag(self, tag):
        return _clean_tags([tag])[0]


class BulkResultSerializer(serializers.Serializer):
    matched = serializers.IntegerField(help_text="Items the filters selected.")
    changed = serializers.IntegerField(help_text="Items that changed (the others already were so).")


def _member(pk):
    if pk is None:
        return None
    member = selectors.team_members().filter(pk=pk).first()
    if member is None:
        raise Http404("No such member.")
    return member


def _filtered(user, filters):
    assignee = filters.get("assignee")
    assignee = user.pk if assignee == "me" else assignee
    feedback = feedback_list(user=user, filters=filters)
    handled, tag = filters.get("handled"), filters.get("tag")
    return feedback_handling_matching(feedback, user=user, assignee=assignee, handled=handled, tag=tag)


class MembersView(ApiView):
    serializer_class = MentionableSerializer
    permission_classes = [TokenScopePermission, TeamOnly]

    @extend_schema(summary="Members who may be assigned feedback or mentioned in notes",
                   responses={200: MentionableSerializer(many=True), **errors(401, 403, 429)})  # fmt: skip
    def get(self, request):
        members = list(selectors.team_members())
        handles = selectors.mention_handles(members)
        for member in members:
            member.handle = selectors.short_handle(member, handles)
        return Response(MentionableSerializer(members, many=True).data)


class HandlingListView(ApiView):
    serializer_class = FeedbackWithHandlingSerializer
    permission_classes = [TokenScopePermission, TeamOnly]

    @extend_schema(
        summary="Feedback with the agency's handling: GET /api/v1/feedback's filters, plus assignee, "
        "handled and tag",
        parameters=[HandlingFilterSerializer],
        responses={200: HandlingPageSerializer, **errors(400, 401, 403, 429)},
    )
    def get(self, request):
        filters = HandlingFilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        values = filters.validated_data
        items = _filtered(request.user, values).select_related("handling__assignee", "handling__handled_by")
        limit, offset = values["limit"], values["offset"]
        page = items[offset : offset + limit]
        return Response({"feedback": FeedbackWithHandlingSerializer(page, many=True).data,
                         "total": items.count(), "limit": limit, "offset": offset})  # fmt: skip


class ItemView(ApiView):
    permission_classes = [TokenScopePermission, TeamOnly]

    def item(self, request, location, feedback_id):
        visible = Feedback.objects.filter(client__in=clients_visible_to(user=request.user))
        return get_object_or_404(visible.select_related("client", "location"), location_id=location,
                                 pulseback_id=feedback_id)  # fmt: skip


class HandlingView(ItemView):
    serializer_class = WorkflowSerializer

    def _answer(self, item):
        handling = selectors.handling_of(feedback=item)
        handling.notes = selectors.notes_of(feedback=item)
        return Response(WorkflowSerializer(handling).data)

    @extend_schema(summary="An item's handling by the agency, with its internal notes",
                   responses={200: WorkflowSerializer, **errors(401, 403, 404, 429)})  # fmt: skip
    def get(self, request, location, feedback_id):
        return self._answer(self.item(request, location, feedback_id))

    @extend_schema(
        summary="Assign the item, set its tags, or mark it handled (all or nothing)",
        request=HandlingUpdateSerializer,
        responses={200: WorkflowSerializer, **errors(400, 401, 403, 404, 429)},
    )
    def patch(self, request, location, feedback_id):
        item = self.item(request, location, feedback_id)
        data = HandlingUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        if "assignee" in changes:
            changes["assignee"] = _member(changes["assignee"])
        services.handling_update(actor=request.user, feedback=item, **changes)
        return self._answer(item)


class NotesView(ItemView):
    serializer_class = NoteSerializer

    @extend_schema(summary="An item's internal notes, oldest first",
                   responses={200: NoteSerializer(many=True), **errors(401, 403, 404, 429)})  # fmt: skip
    def get(self, request, location, feedback_id):
        item = self.item(request, location, feedback_id)
        return Response(NoteSerializer(selectors.notes_of(feedback=item), many=True).data)

    @extend_schema(
        summary="Write an internal note; the members it @mentions are emailed",
        request=NoteCreateSerializer,
        responses={201: NoteSerializer, **errors(400, 401, 403, 404, 429)},
    )
    def post(self, request, location, feedback_id):
        item = self.item(request, location, feedback_id)
        data = NoteCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        note = services.note_add(actor=request.user, feedback=item, body=data.validated_data["body"])
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)


class BulkView(ApiView):
    serializer_class = BulkResultSerializer
    permission_classes = [TokenScopePermission, TeamOnly]

    @extend_schema(
        summary=f"Assign, tag or mark handled every item the filters select (at most {BULK_MAX}); "
        "with no change, count them",
        request=BulkSerializer,
        responses={
            200: BulkResultSerializer,
            409: OpenApiResponse(ErrorSerializer, description="The filters select another number of items "
                                 "than expected_count: nothing was changed."),
            **errors(400, 401, 403, 404, 429),
        },
    )  # fmt: skip
    def post(self, request):
        data = BulkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        changes = {key: values[key] for key in BULK_CHANGES if key in values}
        if "assignee" in changes:
            changes["assignee"] = _member(changes["assignee"])
        feedback = _filtered(request.user, values["filters"])
        count = feedback.count()
        if "expected_count" in values and values["expected_count"] != count:
            message = f"The filters select {count} items, not {values['expected_count']}: nothing changed."
            return Response({"message": message, "fields": {"expected_count": [message]}}, status=409)
        filters = "; ".join(
            f"{name}: {value}" for name, value in values["filters"].items() if value not in (None, "")
        )
        result = services.handling_bulk(
            actor=request.user, feedback=feedback, changes=changes, selection=filters or "all feedback"
        )
        return Response(BulkResultSerializer(result).data)
