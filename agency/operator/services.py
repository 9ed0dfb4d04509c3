"""Writes of the platform operator: plans, suspension (and the work it parks), usage, heartbeats,
exports and deletions. Each operator action is recorded in the operator's audit log in the same
transaction. The layers above contribute through agency.events (usage_measured, data_exported), so
nothing here imports clients or reports."""

import logging
import os
import secrets
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django_tenants.files.storage import TenantFileSystemStorage
from django_tenants.utils import get_public_schema_name, schema_context, schema_exists, tenant_context

from agency import events, metrics
from agency.api.models import ApiToken
from agency.models import (
    Agency,
    AgencyDeletion,
    AgencyExport,
    AgencyUsage,
    ExportState,
    ParkedTask,
    Plan,
    WorkerHeartbeat,
)
from agency.operator.archive import Archive, archive_open
from agency.operator.audit import operator_audit_record
from agency.operator.exports import core_tables
from agency.team.audit import audit_record
from agency.team.models import Role, User

logger = logging.getLogger(__name__)

PLAN_FIELDS = ("name", "max_clients", "max_locations", "max_members", "api_requests_per_minute", "is_default")


# --------------------------------------------------------------------------- plans
@transaction.atomic
def plan_save(*, actor, plan, **fields):
    """Create (``plan`` None) or change a plan. Making one the default unmarks the previous default."""
    created = plan is None
    plan = plan or Plan()
    for field, value in fields.items():
        if field not in PLAN_FIELDS:
            raise ValidationError({field: "This field cannot be changed."})
        setattr(plan, field, value)
    plan.full_clean(validate_constraints=False)
    if plan.is_default:
        Plan.objects.filter(is_default=True).exclude(pk=plan.pk).update(is_default=False)
    plan.save()
    action = "plan.created" if created else "plan.updated"
    operator_audit_record(
        actor=actor, action=action, target=plan.name, **{k: fields[k] for k in sorted(fields)}
    )
    return plan


@transaction.atomic
def agency_plan_change(*, actor, agency, plan):
    """Move an agency to ``plan`` (None: the default plan). What it has stays, even above the new limits."""
    old = agency.plan.name if agency.plan_id else "default"
    Agency.objects.filter(pk=agency.pk).update(plan=plan)
    agency.plan = plan
    operator_audit_record(
        actor=actor,
        action="agency.plan_changed",
        agency=agency,
        old=old,
        new=plan.name if plan else "default",
    )


# ----------------------------------------------------------------------- suspension
@transaction.atomic
def agency_suspend(*, actor, agency, reason=""):
    """Stop an agency: its domains show a notice, its API answers 403, its background work is parked.
    Nothing is deleted."""
    if agency.schema_name == get_public_schema_name():
        raise ValidationError("The public site cannot be suspended.")
    if agency.suspended_at is not None:
        raise ValidationError(f"{agency.name} is suspended already.")
    agency.suspended_at, agency.suspension_reason = timezone.now(), reason.strip()[:300]
    agency.save(update_fields=["suspended_at", "suspension_reason"])
    operator_audit_record(
        actor=actor, action="agency.suspended", agency=agency, reason=agency.suspension_reason
    )


@transaction.atomic
def agency_resume(*, actor, agency):
    """Lift a suspension: the domains, API and schedules work again and parked work is queued."""
    if agency.suspended_at is None:
        raise ValidationError(f"{agency.name} is not suspended.")
    if AgencyDeletion.objects.filter(agency=agency, cancelled_at=None, deleted_at=None).exists():
        raise ValidationError(f"{agency.name} is to be deleted: cancel the deletion first.")
    agency.suspended_at, agency.suspension_reason = None, ""
    agency.save(update_fields=["suspended_at", "suspension_reason"])
    operator_audit_record(actor=actor, action="agency.resumed", agency=agency)
    transaction.on_commit(lambda: tasks_unpark(agency=agency))


def task_park(*, agency, task, args, kwargs):
    """Keep a suspended agency's task (it is queued again on resume)."""
    ParkedTask.objects.create(agency_id=agency.pk, task=task, args=list(args), kwargs=dict(kwargs))
    metrics.TASKS_PARKED.inc()
    logger.info("parked %s of suspended agency %s", task, agency.schema_name)


def tasks_unpark(*, agency):
    """Queue a resumed agency's parked tasks again, in the order they were parked; returns how many."""
    from agency.celery import app

    sent = 0
    with schema_context(get_public_schema_name()):
        for parked in ParkedTask.objects.filter(agency_id=agency.pk).order_by("pk"):
            with transaction.atomic():
                if not ParkedTask.objects.filter(pk=parked.pk).delete()[0]:
                    continue  # another resume took it
                app.send_task(
                    parked.task,
                    args=parked.args,
                    kwargs=parked.kwargs,
                    headers={"_schema_name": agency.schema_name},
                )
            sent += 1
    logger.info("queued %s parked tasks of %s", sent, agency.schema_name)
    return sent


# -------------------------------------------------------------------- measurements
def usage_measure(*, agency):
    """Measure the agency whose schema the connection is in, and keep the figures (AgencyUsage)."""
    members = User.objects.filter(is_active=True).exclude(role=Role.CLIENT_VIEWER).count()
    last_login = User.objects.aggregate(at=Max("last_login"))["at"]
    last_api = ApiToken.objects.aggregate(at=Max("last_used_at"))["at"]
    figures = {
        "members": members,
        "last_activity_at": max(filter(None, (last_login, last_api)), default=None),
    }
    for _receiver, answer in events.usage_measured.send(sender=Agency, agency=agency):
        figures.update(answer or {})
    fields = {field.name for field in AgencyUsage._meta.fields} - {"id", "agency", "measured_at"}
    usage, _ = AgencyUsage.objects.update_or_create(
        agency_id=agency.pk,
        defaults={"measured_at": timezone.now(), **{k: v for k, v in figures.items() if k in fields}},
    )
    return usage


def heartbeat_record(*, queue, worker):
    WorkerHeartbeat.objects.update_or_create(queue=queue, defaults={"worker": worker, "at": timezone.now()})


# -------------------------------------------------------------------------- exports
@transaction.atomic
def export_request(*, agency, actor, operator=False):
    """Queue a zip of all of the agency's data, asked for by ``actor``: a member of the agency (its
    audit log records it) or, with ``operator``, platform staff (the operator's log records it)."""
    from agency.operator.tasks import export_build_task

    if AgencyExport.objects.filter(agency=agency, state=ExportState.QUEUED).exists():
        raise ValidationError("An export of this agency is being prepared already.")
    export = AgencyExport.objects.create(agency=agency, requested_by=actor.email)
    _export_audit(actor=actor, operator=operator, agency=agency, what="requested")
    # Built from the public schema whoever asks, so a suspension meanwhile does not park it.
    public = {"_schema_name": get_public_schema_name()}
    transaction.on_commit(lambda: export_build_task.apply_async((export.pk,), headers=public))
    return export


def _export_audit(*, actor, operator, agency, what):
    if operator:
        operator_audit_record(actor=actor, action=f"agency.export_{what}", agency=agency)
    else:
        audit_record(actor=actor, action=f"data.export_{what}", target=agency.name)


def export_build(*, export_id):
    """Write the export's zip: each layer adds its part (agency.events.data_exported)."""
    export = AgencyExport.objects.select_related("agency").get(pk=export_id)
    if export.state != ExportState.QUEUED:
        return export
    agency = export.agency
    handle, temporary = tempfile.mkstemp(suffix=".zip")
    os.close(handle)
    try:
        with archive_open(temporary) as zf, tenant_context(agency):
            archive = Archive(zf)
            core_tables(archive)
            events.data_exported.send(sender=Agency, agency=agency, archive=archive)
        name = f"{agency.slug}/{agency.slug}-export-{timezone.now():%Y%m%d-%H%M%S}-{secrets.token_hex(8)}.zip"
        with open(temporary, "rb") as zipped:
            export.file.save(name, File(zipped), save=False)
    except Exception as exc:
        logger.exception("export %s of %s failed", export.pk, agency.slug)
        AgencyExport.objects.filter(pk=export.pk).update(state=ExportState.FAILED, error=str(exc)[:500])
        raise
    finally:
        os.unlink(temporary)
    export.state, export.finished_at, export.contents = ExportState.READY, timezone.now(), archive.contents
    export.size = export.file.size
    export.save(update_fields=["file", "state", "finished_at", "contents", "size"])
    return export


@transaction.atomic
def export_download(*, export, actor, operator=False):
    """Hand the ready export over once (to an owner, or with ``operator`` to platform staff): returns
    its open file, gone from the disk once this commits (the download streams from the handle).
    Later attempts are refused."""
    taken = AgencyExport.objects.filter(pk=export.pk, state=ExportState.READY).update(
        state=ExportState.DOWNLOADED, downloaded_at=timezone.now(), downloaded_by=actor.email
    )
    if not taken:
        raise ValidationError("This export is not ready, or was downloaded already: ask for a new one.")
    _export_audit(actor=actor, operator=operator, agency=export.agency, what="downloaded")
    path = Path(export.file.path)
    handle = open(path, "rb")  # noqa: SIM115 - the response closes it
    transaction.on_commit(lambda: path.unlink(missing_ok=True))
    return handle


# ------------------------------------------------------------------------- deletion
@transaction.atomic
def agency_deletion_schedule(*, actor, agency, reason=""):
    """Suspend the agency now and delete it after the grace period (AGENCY_DELETION_GRACE_DAYS)."""
    if AgencyDeletion.objects.filter(agency=agency, cancelled_at=None, deleted_at=None).exists():
        raise ValidationError(f"{agency.name} is to be deleted already.")
    if agency.suspended_at is None:
        agency_suspend(actor=actor, agency=agency, reason=reason or "to be deleted")
    deletion = AgencyDeletion.objects.create(
        agency=agency,
        slug=agency.slug,
        name=agency.name,
        schema_name=agency.schema_name,
        domains=list(agency.domains.values_list("domain", flat=True)),
        reason=reason.strip()[:300],
        requested_by=actor.email,
        scheduled_for=timezone.now() + timedelta(days=settings.AGENCY_DELETION_GRACE_DAYS),
    )
    operator_audit_record(
        actor=actor, action="agency.deletion_scheduled", agency=agency, on=deletion.scheduled_for.isoformat()
    )
    return deletion


@transaction.atomic
def agency_deletion_cancel(*, actor, deletion):
    """Keep the agency after all (it stays suspended until resumed)."""
    if not deletion.is_pending:
        raise ValidationError("This deletion is not pending.")
    deletion.cancelled_at = timezone.now()
    deletion.save(update_fields=["cancelled_at"])
    operator_audit_record(actor=actor, action="agency.deletion_cancelled", agency=deletion.agency)


def agency_deletions_run(*, now=None):
    """Delete every agency whose grace period is over; returns the deletions done."""
    now = now or timezone.now()
    due = AgencyDeletion.objects.filter(cancelled_at=None, deleted_at=None, scheduled_for__lte=now)
    return [agency_delete(deletion=deletion) for deletion in due.select_related("agency")]


def agency_delete(*, deletion):
    """Drop the agency's schema, its files (media folder and exports), its domains and its rows; the
    deletion record stays, with what was removed."""
    agency = deletion.agency
    with tenant_context(agency):
        media = Path(TenantFileSystemStorage().location)
    exports = [Path(export.file.path) for export in agency.exports.exclude(file="")]
    files = [path for path in media.rglob("*") if path.is_file()] if media.is_dir() else []
    files += [path for path in exports if path.is_file()]
    removed = {
        "schema": agency.schema_name,
        "domains": list(agency.domains.values_list("domain", flat=True)),
        "files": len(files),
        "bytes": sum(path.stat().st_size for path in files),
    }
    with transaction.atomic():
        deletion.deleted_at, deletion.removed = timezone.now(), removed
        deletion.save(update_fields=["deleted_at", "removed"])
        operator_audit_record(actor=None, action="agency.deleted", agency=agency, **removed)
        agency.delete(force_drop=True)
    shutil.rmtree(media, ignore_errors=True)
    for path in exports:
        path.unlink(missing_ok=True)
    if schema_exists(deletion.schema_name) or media.exists():
        logger.error("deletion of %s left its schema or files behind", deletion.slug)
    logger.info("deleted agency %s: %s", deletion.slug, removed)
    connection.set_schema_to_public()
    return deletion
