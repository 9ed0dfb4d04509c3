"""The portfolio: the location ranking and its export, client groups, the dashboard's live figures,
the import template, and the agency's colours stylesheet."""

from tests.access import MANAGER, MEMBER, PUBLIC, WRITER

PAGES = {
    "location_leaderboard": (WRITER, {}),
    "location_leaderboard_export": (WRITER, {}),
    "group_list": (MANAGER, {}),
    "group_edit": (MANAGER, {"pk": "group"}),
    "client_dashboard_figures": (MEMBER, {"pk": "client"}),
    "location_dashboard_figures": (MEMBER, {"pk": "client", "location_pk": "location"}),
    "client_import_template": (MANAGER, {}),
    "brand_stylesheet": (PUBLIC, {}),
}
# POST only: tested in tests/portal/test_groups.py.
TESTED_ELSEWHERE = {"group_remove"}


def objects(made):
    from clients.portfolio.models import ClientGroup

    group = ClientGroup.objects.create(name="North")
    group.clients.add(made["client"])
    made["group"] = group.pk
