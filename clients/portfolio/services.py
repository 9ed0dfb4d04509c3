"""Writes for client groups: each records its audit event in the same transaction."""

from django.core.exceptions import ValidationError
from django.db import transaction

from agency.team.audit import audit_record
from clients.models import Client
from clients.portfolio.models import ClientGroup, GroupKind


def _checked(*, name, kind, group=None):
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": "Give the group a name."})
    if kind not in GroupKind.values:
        raise ValidationError({"kind": "Choose account manager, region or tag."})
    taken = ClientGroup.objects.filter(name__iexact=name, kind=kind)
    if group is not None:
        taken = taken.exclude(pk=group.pk)
    if taken.exists():
        raise ValidationError({"name": f"There is already a {GroupKind(kind).label.lower()} “{name}”."})
    return name


@transaction.atomic
def group_create(*, actor, name, kind=GroupKind.TAG, client_ids=()):
    """A new group, with these clients in it."""
    group = ClientGroup.objects.create(name=_checked(name=name, kind=kind), kind=kind)
    group.clients.set(Client.objects.filter(pk__in=list(client_ids)))
    audit_record(actor=actor, action="client_group.created", target=group, clients=group.clients.count())
    return group


@transaction.atomic
def group_update(*, actor, group, name, kind, client_ids):
    """Rename a group, change its kind, and make these clients its members (all others leave)."""
    group.name, group.kind = _checked(name=name, kind=kind, group=group), kind
    group.save(update_fields=["name", "kind"])
    before = set(group.clients.values_list("pk", flat=True))
    group.clients.set(Client.objects.filter(pk__in=list(client_ids)))
    after = set(group.clients.values_list("pk", flat=True))
    audit_record(
        actor=actor, action="client_group.updated", target=group,
        added=len(after - before), removed=len(before - after),
    )  # fmt: skip
    return group


@transaction.atomic
def group_remove(*, actor, group):
    """Delete a group; its clients stay as they are."""
    audit_record(actor=actor, action="client_group.removed", target=group)
    group.delete()


@transaction.atomic
def client_groups_set(*, actor, client, groups):
    """Put a client in exactly these groups; records an event only when something changed."""
    before = set(client.portfolio_groups.all())
    after = set(groups)
    if before == after:
        return
    client.portfolio_groups.set(after)
    audit_record(
        actor=actor, action="client.groups_changed", target=client,
        added=sorted(g.name for g in after - before), removed=sorted(g.name for g in before - after),
    )  # fmt: skip
