"""The agency's handling of feedback in the portal: My queue, the actions of the feedback page, and
bulk actions on the inbox's filtered selection (confirmed with their count first).

Client viewers never see any of it; staff, admins and owners act.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from agency.team.access import role_required
from agency.team.models import Role
from clients.models import Feedback
from clients.selectors import clients_visible_to, feedback_visible
from clients.views.inbox import FILTER_NAMES, feedback_selection, inbox_render
from clients.workflow import selectors, services
from clients.workflow.services import BULK_MAX, BulkAction

team_required = role_required(*(role for role in Role.values if role != Role.CLIENT_VIEWER))


@team_required
def my_queue(request):
    """The items assigned to the user and not handled yet (the other filters still apply)."""
    params = request.GET.copy()
    params["assignee"] = "me"
    params.setdefault("handled", "no")
    return inbox_render(request, params, queue=True)


def _item(request, pk):
    try:
        return feedback_visible(user=request.user, pk=pk)
    except Feedback.DoesNotExist:
        raise Http404("No such feedback.") from None


def _done(request, item, message=None, error=None):
    if error is not None:
        messages.error(request, " ".join(error.messages))
    elif message:
        messages.success(request, message)
    return redirect(reverse("feedback_detail", args=[item.pk]) + ("#notes" if "body" in request.POST else ""))


def _member_or_none(value):
    if not value:
        return None
    if not str(value).isdigit():
        raise ValidationError("Choose a member of the team.")
    member = selectors.team_members().filter(pk=value).first()
    if member is None:
        raise ValidationError("Choose a member of the team.")
    return member


@team_required
@require_POST
def feedback_assign(request, pk):
    item = _item(request, pk)
    try:
        assignee = _member_or_none(request.POST.get("assignee"))
        services.handling_assign(actor=request.user, feedback=item, assignee=assignee)
    except ValidationError as exc:
        return _done(request, item, error=exc)
    return _done(request, item, f"Assigned to {assignee}." if assignee else "Nobody is assigned now.")


@team_required
@require_POST
def feedback_tags(request, pk):
    item = _item(request, pk)
    add = [tag for tag in request.POST.get("add", "").split(",") if tag.strip()]
    remove = [tag for tag in request.POST.getlist("remove") if tag.strip()]
    if not add and not remove:
        return _done(request, item, error=ValidationError("Enter a tag."))
    try:
        services.handling_tags_change(actor=request.user, feedback=item, add=add, remove=remove)
    except ValidationError as exc:
        return _done(request, item, error=exc)
    return _done(request, item, "Tags saved.")


@team_required
@require_POST
def feedback_handled(request, pk):
    item = _item(request, pk)
    handled = request.POST.get("handled") == "yes"
    services.handling_mark(actor=request.user, feedback=item, handled=handled)
    return _done(request, item, "Marked as handled by us." if handled else "Marked as not handled.")


@team_required
@require_POST
def feedback_note_add(request, pk):
    item = _item(request, pk)
    try:
        note = services.note_add(actor=request.user, feedback=item, body=request.POST.get("body", ""))
    except ValidationError as exc:
        return _done(request, item, error=exc)
    mentioned = [str(user) for user in note.mentions.all() if user != request.user]
    return _done(request, item, "Note added." + (f" Emailed {', '.join(mentioned)}." if mentioned else ""))


class BulkForm(forms.Form):
    bulk_action = forms.ChoiceField(
        choices=list(BulkAction.LABELS.items()),
        error_messages={"required": "Choose an action.", "invalid_choice": "Choose an action."},
    )
    bulk_assignee = forms.CharField(required=False)
    bulk_tag = forms.CharField(required=False, max_length=40)
    expected = forms.IntegerField(required=False, min_value=0)

    def clean(self):
        data = super().clean()
        action = data.get("bulk_action")
        data["assignee"], data["tag"] = None, ""
        if action == BulkAction.ASSIGN:
            try:
                data["assignee"] = _member_or_none(data.get("bulk_assignee"))
            except ValidationError as exc:
                self.add_error("bulk_assignee", exc)
            if data["assignee"] is None and not self.has_error("bulk_assignee"):
                self.add_error("bulk_assignee", "Choose whom to assign the items to.")
        if action in (BulkAction.TAG, BulkAction.UNTAG):
            try:
                data["tag"] = services.tag_clean(data.get("bulk_tag"))
            except ValidationError as exc:
                self.add_error("bulk_tag", exc)
        return data


def _describe(form, user):
    """The filters in words, e.g. "Status: New; Rating: 1★" (for the confirmation and the audit)."""
    data = form.cleaned_data
    parts = []
    for name in FILTER_NAMES:
        value = data.get(name)
        if value in (None, ""):
            continue
        field = form.fields[name]
        if name == "client":
            value = clients_visible_to(user=user).filter(pk=value).values_list("name", flat=True).first()
        elif name == "assignee":
            named = {"me": "me", "none": "nobody"}.get(value)
            value = named or selectors.team_members().filter(pk=value).first() or f"member {value}"
        elif hasattr(field, "choices"):
            value = {str(key): label for key, label in field.choices}.get(str(value), value)
        parts.append(f"{field.label or name.capitalize()}: {value}")
    return "; ".join(parts) or "all feedback"


@team_required
def feedback_bulk(request):
    """GET: how many items the action would change, to confirm. POST: do it, if the selection still
    holds as many items as confirmed (else confirm again)."""
    data = request.POST if request.method == "POST" else request.GET
    bulk = BulkForm(data)
    filters, feedback = feedback_selection(request.user, data)
    if not bulk.is_valid() or not filters.is_valid():
        errors = [error for errors in bulk.errors.values() for error in errors] or ["Check the filters."]
        messages.error(request, " ".join(errors))
        return redirect(_inbox_url(data))
    action, count = bulk.cleaned_data["bulk_action"], feedback.count()
    assignee, tag = bulk.cleaned_data["assignee"], bulk.cleaned_data["tag"]
    selection = _describe(filters, request.user)
    changed_meanwhile = request.method == "POST" and bulk.cleaned_data["expected"] != count
    if request.method == "POST" and not changed_meanwhile:
        try:
            changes = BulkAction.changes(action, assignee=assignee, tag=tag)
            result = services.handling_bulk(
                actor=request.user, feedback=feedback, changes=changes, selection=selection
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(_inbox_url(data))
        messages.success(request, _result_message(action, result, assignee, tag))
        return redirect(_inbox_url(data))
    context = {
        "action": action, "label": BulkAction.LABELS[action], "count": count, "assignee": assignee,
        "tag": tag, "selection": selection, "too_many": count > BULK_MAX, "bulk_max": BULK_MAX,
        "changed_meanwhile": changed_meanwhile, "inbox_url": _inbox_url(data),
        "hidden": [(name, value) for name in (*FILTER_NAMES, "bulk_action", "bulk_assignee", "bulk_tag")
                   for value in data.getlist(name) if value],
    }  # fmt: skip
    return render(request, "portal/feedback_bulk.html", context)


def _inbox_url(data):
    query = QueryDict(mutable=True)
    for name in FILTER_NAMES:
        query.setlist(name, [value for value in data.getlist(name) if value])
    encoded = query.urlencode()
    return reverse("inbox") + (f"?{encoded}" if encoded else "")


def _result_message(action, result, assignee, tag):
    matched, changed = result["matched"], result["changed"]
    items = f"{changed} item{'s' * (changed != 1)}"
    done = {
        BulkAction.ASSIGN: f"Assigned {items} to {assignee}.",
        BulkAction.UNASSIGN: f"Unassigned {items}.",
        BulkAction.TAG: f"Tagged {items} “{tag}”.",
        BulkAction.UNTAG: f"Removed “{tag}” from {items}.",
        BulkAction.HANDLE: f"Marked {items} as handled by us.",
        BulkAction.REOPEN: f"Marked {items} as not handled.",
    }[action]
    unchanged = matched - changed
    return done + (f" {unchanged} already were." if unchanged else "")
