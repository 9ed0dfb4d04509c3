"""The agency's workflow on feedback (My queue, bulk actions, the feedback page's actions), alert
channels and the webhooks pages."""

from tests.access import MANAGER, WRITER

PAGES = {
    "my_queue": (WRITER, {}),
    "feedback_bulk": (WRITER, {}),
    "alert_channels": (MANAGER, {}),
    "webhook_list": (MANAGER, {}),
    "webhook_detail": (MANAGER, {"pk": "webhook"}),
}
# POST-only actions, tested in tests/workflow/, tests/alerts/ and tests/webhooks/test_webhook_pages.py.
TESTED_ELSEWHERE = {
    "feedback_assign", "feedback_tags", "feedback_handled", "feedback_note_add", "alert_rule_test",
    "alert_channel_test", "alert_channel_remove", "webhook_test", "webhook_enable", "webhook_remove",
}  # fmt: skip
# The confirmation of a bulk action says how many items it would change.
QUERIES = {"feedback_bulk": "bulk_action=handle"}


def objects(made):
    from agency.webhooks.models import WebhookEndpoint

    endpoint = WebhookEndpoint.objects.create(url="https://hooks.example.com/in", events=["sync.failed"],
                                              secret="whsec_test")  # fmt: skip
    made["webhook"] = endpoint.pk
