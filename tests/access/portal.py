"""The portal's pages: overview, dashboards, inbox, clients, reports, team, settings."""

from tests.access import MANAGER, MEMBER, OWN, PUBLIC

PAGES = {
    "home": (MEMBER, {}),
    "client_dashboard": (MEMBER, {"pk": "client"}),
    "location_dashboard": (MEMBER, {"pk": "client", "location_pk": "location"}),
    "client_sync_status": (MEMBER, {"pk": "client"}),
    "inbox": (MEMBER, {}),
    "feedback_export": (MEMBER, {}),
    "feedback_detail": (MEMBER, {"pk": "feedback"}),
    "client_reports": (MEMBER, {"pk": "client"}),
    "report_preview": (MEMBER, {"pk": "client"}),
    "report_download": (MEMBER, {"pk": "report"}),
    "alert_list": (MEMBER, {}),
    "api_tokens": (OWN, {}),
    "client_add": (MANAGER, {}),
    "client_import": (MANAGER, {}),
    "client_edit": (MANAGER, {"pk": "client"}),
    "client_remove": (MANAGER, {"pk": "client"}),
    "location_new": (MANAGER, {"pk": "client"}),
    "location_login": (MANAGER, {"pk": "client", "location_pk": "location"}),
    "pos_trigger_page": (MANAGER, {"pk": "client", "location_pk": "location"}),
    "client_viewers": (MANAGER, {"pk": "client"}),
    "connect_request": (MANAGER, {"pk": "client"}),
    "team": (MANAGER, {}),
    "audit_log": (MANAGER, {}),
    "report_queue": (MANAGER, {}),
    "branding": (MANAGER, {}),
    "alert_rules": (MANAGER, {}),
    "login": (PUBLIC, {}),
    "password_reset": (PUBLIC, {}),
    "password_reset_done": (PUBLIC, {}),
    "password_reset_complete": (PUBLIC, {}),
    "favicon": (PUBLIC, {}),
}
# POST-only actions, state-changing links, or pages reached with a token: tested where they live.
TESTED_ELSEWHERE = {
    "logout", "password_reset_confirm", "member_role", "member_remove", "invitation_accept",
    "connect_pulseback", "client_schedule", "report_approve", "location_pause", "location_resume",
    "location_sync", "alert_read", "api_token_revoke", "pos_trigger", "brand_logo",
}  # fmt: skip
QUERIES = {"report_preview": "start=2026-09-01&end=2026-09-30&sections=summary"}
