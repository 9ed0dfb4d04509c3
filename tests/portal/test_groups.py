"""Client groups (by account manager, region or tag): made, filled, renamed and removed by managers,
chosen on a client's own form, and each change audited."""

import pytest

from agency.team.models import AuditEvent, Role
from clients.portfolio.models import ClientGroup, GroupKind
from tests.conftest import host_client
from tests.factories import ClientFactory


def test_a_manager_creates_a_group_then_chooses_its_clients(agency, owner):
    bistro, garage = ClientFactory(name="Bistro Verde"), ClientFactory(name="Garage Nord")
    web = host_client(agency, user=owner)

    created = web.post("/groups/", {"name": "  Sam   Jones ", "kind": GroupKind.ACCOUNT_MANAGER})
    group = ClientGroup.objects.get()
    assert created.status_code == 302 and created["Location"] == f"/groups/{group.pk}/"
    page = web.get(f"/groups/{group.pk}/").content.decode()
    assert "Bistro Verde" in page and "Find a client" in page
    saved = web.post(f"/groups/{group.pk}/", {"name": "Sam Jones", "kind": GroupKind.ACCOUNT_MANAGER,
                                              "clients": [bistro.pk]})  # fmt: skip

    assert saved.status_code == 302
    assert (group.name, list(group.clients.all())) == ("Sam Jones", [bistro])
    assert list(AuditEvent.objects.values_list("action", flat=True).order_by("pk")) == [
        "client_group.created", "client_group.updated",
    ]  # fmt: skip
    listing = web.get("/groups/").content.decode()
    assert "Sam Jones" in listing and "Account manager" in listing and f"/?group={group.pk}" in listing
    assert garage not in group.clients.all()


def test_a_name_is_taken_once_per_kind(agency, owner):
    ClientGroup.objects.create(name="North", kind=GroupKind.REGION)
    web = host_client(agency, user=owner)

    taken = web.post("/groups/", {"name": "north", "kind": GroupKind.REGION})
    other_kind = web.post("/groups/", {"name": "North", "kind": GroupKind.TAG})

    assert "There is already a region “north”." in taken.content.decode()
    assert other_kind.status_code == 302
    assert ClientGroup.objects.count() == 2


def test_removing_a_group_keeps_its_clients(agency, owner):
    client = ClientFactory(name="Bistro Verde")
    group = ClientGroup.objects.create(name="North")
    group.clients.add(client)
    web = host_client(agency, user=owner)

    assert web.get(f"/groups/{group.pk}/remove/").status_code == 405
    response = web.post(f"/groups/{group.pk}/remove/")

    assert response.status_code == 302 and not ClientGroup.objects.exists()
    assert client.__class__.objects.filter(pk=client.pk).exists()
    assert AuditEvent.objects.filter(action="client_group.removed", target="North").exists()


@pytest.mark.parametrize("role", [Role.STAFF, Role.CLIENT_VIEWER])
def test_only_managers_change_groups(agency, make_user, role):
    group = ClientGroup.objects.create(name="North")
    web = host_client(agency, user=make_user(role))

    assert web.post("/groups/", {"name": "South", "kind": GroupKind.REGION}).status_code == 403
    assert web.post(f"/groups/{group.pk}/remove/").status_code == 403
    assert list(ClientGroup.objects.values_list("name", flat=True)) == ["North"]


def test_a_clients_own_form_chooses_its_groups(agency, owner):
    client = ClientFactory(name="Bistro Verde", timezone="UTC")
    north = ClientGroup.objects.create(name="North", kind=GroupKind.REGION)
    vip = ClientGroup.objects.create(name="VIP")
    web = host_client(agency, user=owner)

    page = web.get(f"/clients/{client.pk}/edit/").content.decode()
    form = {"name": "Bistro Verde", "timezone": "UTC", "report_recipients": "", "notes": ""}
    web.post(f"/clients/{client.pk}/edit/", {**form, "groups": [north.pk, vip.pk]})
    web.post(f"/clients/{client.pk}/edit/", {**form, "groups": [vip.pk]})

    assert "<legend>Groups</legend>" in page and "North (region)" in page
    assert list(client.portfolio_groups.all()) == [vip]
    changes = AuditEvent.objects.filter(action="client.groups_changed").order_by("pk")
    assert [event.details for event in changes] == [
        {"added": ["North", "VIP"], "removed": []}, {"added": [], "removed": ["North"]},
    ]  # fmt: skip


def test_without_groups_the_client_form_has_no_groups_field(agency, owner):
    client = ClientFactory()

    page = host_client(agency, user=owner).get(f"/clients/{client.pk}/edit/").content.decode()

    assert "Groups" not in page
