"""The operator's console, on the public domain: platform staff only, with a verified second factor.
Thin: reads from selectors, writes through services, every action audited there."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_tenants.utils import get_public_schema_name, tenant_context

from agency.models import Agency, AgencyDeletion, AgencyExport, Plan
from agency.operator import selectors, services
from agency.operator.forms import AgencyPlanForm, DeletionForm, PlanForm, ReasonForm


def operator_required(view):
    """Strangers log in; signed-in users who are not platform staff get 403; staff whose session has
    no verified second factor get 403 with the way to verify."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (user.is_active and user.is_staff):
            raise PermissionDenied
        if not user.is_verified():
            return render(request, "operator/verify.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _agency(slug):
    return get_object_or_404(Agency.objects.exclude(schema_name=get_public_schema_name()), slug=slug)


@operator_required
def agency_list(request):
    query, state = request.GET.get("q", "").strip(), request.GET.get("state", "")
    page = Paginator(selectors.agencies(query=query, state=state), 50).get_page(request.GET.get("page"))
    default = selectors.default_plan()
    rows = [(agency, agency.plan or default, selectors.agency_health(agency)) for agency in page]
    return render(
        request,
        "operator/agencies.html",
        {
            "page": page,
            "rows": rows,
            "query": query,
            "state": state,
            "states": selectors.STATES,
            "section": "agencies",
        },
    )


@operator_required
def agency_detail(request, slug):
    agency = _agency(slug)
    return render(
        request,
        "operator/agency.html",
        {
            "subject": agency,  # not "agency": base.html would take it for the agency whose domain this is
            "usage": getattr(agency, "usage", None),
            "plan": selectors.agency_plan(agency),
            "health": selectors.agency_health(agency),
            "deletion": selectors.pending_deletion(agency),
            "exports": selectors.agency_exports(agency),
            "events": selectors.operator_events(agency_slug=agency.slug)[:20],
            "plan_form": AgencyPlanForm(initial={"plan": agency.plan_id}),
            "reason_form": ReasonForm(),
            "deletion_form": DeletionForm(agency=agency),
            "section": "agencies",
        },
    )


def _plan(request, agency):
    form = AgencyPlanForm(request.POST)
    if not form.is_valid():
        raise ValidationError("Choose a plan.")
    services.agency_plan_change(actor=request.user, agency=agency, plan=form.cleaned_data["plan"])
    return f"{agency.name} is now on the {form.cleaned_data['plan'] or 'default'} plan."


def _suspend(request, agency):
    services.agency_suspend(actor=request.user, agency=agency, reason=request.POST.get("reason", ""))
    return f"{agency.name} is suspended: its users see a notice; its syncs, schedules, webhooks and API stop."


def _resume(request, agency):
    services.agency_resume(actor=request.user, agency=agency)
    return f"{agency.name} is resumed; the work it had waiting is queued again."


def _measure(request, agency):
    with tenant_context(agency):
        services.usage_measure(agency=agency)
    return "Usage measured just now."


def _export(request, agency):
    services.export_request(agency=agency, actor=request.user, operator=True)
    return "The export is being prepared: reload this page in a minute to download it (once)."


def _delete(request, agency):
    form = DeletionForm(request.POST, agency=agency)
    if not form.is_valid():
        raise ValidationError([message for errors in form.errors.values() for message in errors])
    deletion = services.agency_deletion_schedule(
        actor=request.user, agency=agency, reason=form.cleaned_data["reason"]
    )
    return f"{agency.name} is suspended and will be deleted on {deletion.scheduled_for:%Y-%m-%d %H:%M} UTC."


def _cancel_deletion(request, agency):
    deletion = get_object_or_404(AgencyDeletion, agency=agency, cancelled_at=None, deleted_at=None)
    services.agency_deletion_cancel(actor=request.user, deletion=deletion)
    return f"The deletion of {agency.name} is cancelled; it stays suspended until you resume it."


ACTIONS = {
    "plan": _plan,
    "suspend": _suspend,
    "resume": _resume,
    "measure": _measure,
    "export": _export,
    "delete": _delete,
    "cancel-deletion": _cancel_deletion,
}


@operator_required
@require_POST
def agency_action(request, slug, action):
    agency = _agency(slug)
    if action not in ACTIONS:
        raise Http404("No such action.")
    try:
        messages.success(request, ACTIONS[action](request, agency))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("operator:agency", slug=agency.slug)


@operator_required
@require_POST
def export_download(request, pk):
    export = get_object_or_404(AgencyExport.objects.select_related("agency"), pk=pk)
    try:
        handle = services.export_download(export=export, actor=request.user, operator=True)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("operator:agency", slug=export.agency.slug)
    return FileResponse(handle, as_attachment=True, filename=export.file.name.rsplit("/", 1)[-1])


@operator_required
def plan_list(request):
    return _plan_form(request, plan=None, template="operator/plans.html", extra={"plans": selectors.plans()})


@operator_required
def plan_edit(request, pk):
    return _plan_form(request, plan=get_object_or_404(Plan, pk=pk), template="operator/plan.html", extra={})


def _plan_form(request, *, plan, template, extra):
    form = PlanForm(request.POST or None, instance=plan)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in PlanForm.Meta.fields}
        saved = services.plan_save(actor=request.user, plan=plan, **fields)
        messages.success(request, f"The {saved.name} plan is saved.")
        return redirect("operator:plans")
    return render(request, template, {"form": form, "plan": plan, "section": "plans", **extra})


@operator_required
def audit_log(request):
    page = Paginator(selectors.operator_events(agency_slug=request.GET.get("agency", "")), 100)
    return render(
        request, "operator/audit.html", {"page": page.get_page(request.GET.get("page")), "section": "audit"}
    )


@operator_required
def deletion_list(request):
    page = Paginator(selectors.deletions(), 100).get_page(request.GET.get("page"))
    return render(request, "operator/deletions.html", {"page": page, "section": "deletions"})
