"""Alerts reach Slack, Microsoft Teams and Google Chat: each in its service's JSON, with the client,
the location, the feedback excerpt and a link; URLs are checked by the outbound address guard."""

import socket

import pytest
from django.utils import timezone

from agency import netguard
from agency.team.models import AuditEvent, Role
from clients.alerts.models import AlertChannel, AlertKind, AlertRule, ChannelKind
from clients.alerts.services import ChannelRetry, alert_channel_deliver, alerts_after_sync
from clients.models import ConnectionState, SyncKind, SyncRun
from tests.conftest import host_client
from tests.factories import FeedbackFactory, LocationFactory


@pytest.fixture
def location(agency):
    return LocationFactory(
        client__name="Bistro <Verde> & Co",
        client__timezone="UTC",
        name="Main Street",
        state=ConnectionState.CONNECTED,
        connected_at=timezone.now(),
    )


@pytest.fixture
def resolving_to(monkeypatch):
    """Every host name resolves to ``address`` (no real DNS)."""

    def make(address):
        answer = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, 443))]
        monkeypatch.setattr(netguard.socket, "getaddrinfo", lambda *args, **kwargs: answer)

    return make


def channel(kind, url, name="#reviews"):
    host = url.split("/")[2]
    return AlertChannel.objects.create(kind=kind, name=name, url=url, host=host)


def negative_alert(location, kind, url):
    rule = AlertRule.objects.create(kind=AlertKind.NEGATIVE)
    rule.channels.add(channel(kind, url))
    run = SyncRun.objects.create(location=location, kind=SyncKind.INCREMENTAL, started_at=timezone.now())
    item = FeedbackFactory(
        location=location,
        created_at=timezone.now(),
        rating=1,
        sentiment="negative",
        customer_name="Zoë",
        comment="The soup was <cold>.\nWe waited 40 minutes.",
    )
    return alerts_after_sync(run=run), item


def test_a_negative_feedback_alert_reaches_slack_with_everything_to_act_on(
    location, chat, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        alert, item = negative_alert(location, ChannelKind.SLACK, chat.url)

    ((headers, body),) = chat.delivered()
    assert headers["Content-Type"].startswith("application/json")
    text = "\n".join(
        part["text"]
        for block in body["blocks"]
        for part in [block.get("text"), *block.get("fields", [])]
        if part
    )
    assert body["blocks"][0]["text"]["text"] == "Negative feedback · Bistro <Verde> & Co"
    assert "*Client*\nBistro &lt;Verde&gt; &amp; Co" in text and "*Location*\nMain Street" in text
    assert "> 1★ Zoë: The soup was &lt;cold&gt;. We waited 40 minutes." in text
    button = body["blocks"][-1]["elements"][0]
    assert button["url"] == f"http://alpha.localhost/feedback/{item.pk}/"
    assert alert.message in body["text"]
    assert AlertChannel.objects.get().last_status_code == 200


def test_teams_gets_an_adaptive_card(location, chat, eager_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _, item = negative_alert(location, ChannelKind.TEAMS, chat.url)

    ((_headers, body),) = chat.delivered()
    assert body["type"] == "message"
    (attachment,) = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (
        card["type"] == "AdaptiveCard"
        and card["body"][0]["text"] == "Negative feedback · Bistro <Verde> & Co"
    )
    assert {"title": "Location", "value": "Main Street"} in card["body"][2]["facts"]
    assert card["body"][3]["text"].startswith("“1★ Zoë: The soup was <cold>.")
    assert card["actions"][0]["url"] == f"http://alpha.localhost/feedback/{item.pk}/"


def test_google_chat_gets_text_that_cannot_mention_everyone(
    location, chat, eager_tasks, django_capture_on_commit_callbacks
):
    location.client.name = "<users/all> Bistro"
    location.client.save()
    with django_capture_on_commit_callbacks(execute=True):
        _, item = negative_alert(location, ChannelKind.GOOGLE_CHAT, chat.url)

    ((_headers, body),) = chat.delivered()
    lines = body["text"].splitlines()
    assert lines[0] == "*Negative feedback · ‹users/all› Bistro*"
    assert "Client: ‹users/all› Bistro · Location: Main Street" in lines
    assert lines[-1] == f"<http://alpha.localhost/feedback/{item.pk}/|Open in the portal>"


def test_a_busy_service_is_retried_and_a_refusal_is_recorded(location, chat):
    chat.always_fail = True
    alert, _ = negative_alert(location, ChannelKind.SLACK, chat.url)
    target = AlertChannel.objects.get()

    with pytest.raises(ChannelRetry):
        alert_channel_deliver(alert_id=alert.pk, channel_id=target.pk)
    chat.always_fail, chat.status_on_success = False, 404  # a revoked webhook: trying again cannot help
    alert_channel_deliver(alert_id=alert.pk, channel_id=target.pk)

    target.refresh_from_db()
    assert (target.last_status_code, target.last_error, target.last_delivered_at) == (404, "HTTP 404", None)


@pytest.mark.parametrize(
    ("kind", "url", "says"),
    [
        (ChannelKind.SLACK, "https://hooks.example.com/services/T/B/X", "not a Slack incoming-webhook"),
        (ChannelKind.SLACK, "http://hooks.slack.com/services/T/B/X", "not a Slack incoming-webhook"),
        (ChannelKind.GOOGLE_CHAT, "https://hooks.slack.com/services/T/B/X", "not a Google Chat"),
        (ChannelKind.TEAMS, "https://evil.example/webhookb2/x", "not a Microsoft Teams"),
        (ChannelKind.SLACK, "https://user:pw@hooks.slack.com/services/T", "user name or password"),
    ],
)
def test_a_url_of_the_wrong_service_is_refused(agency, owner, kind, url, says, resolving_to):
    resolving_to("93.184.216.34")
    form = {"kind": kind, "name": "#reviews", "url": url}

    page = host_client(agency, user=owner).post("/settings/alerts/channels/", form).content.decode()

    assert says in page and not AlertChannel.objects.exists()


def test_a_slack_host_that_resolves_privately_and_loopback_in_production_are_refused(
    agency, owner, settings, resolving_to
):
    resolving_to("10.0.0.7")
    web = host_client(agency, user=owner)
    private = web.post(
        "/settings/alerts/channels/",
        {"kind": ChannelKind.SLACK, "name": "#r", "url": "https://hooks.slack.com/services/T/B/X"},
    )
    settings.WEBHOOKS_ALLOW_LOOPBACK_TARGETS = False
    loopback = web.post(
        "/settings/alerts/channels/",
        {"kind": ChannelKind.SLACK, "name": "#r", "url": "http://127.0.0.1:9/slack"},
    )

    assert "hooks.slack.com resolves to 10.0.0.7, a private network address" in private.content.decode()
    assert "loopback" in loopback.content.decode()
    assert not AlertChannel.objects.exists()


def test_managers_add_test_and_remove_a_channel(agency, owner, chat):
    web = host_client(agency, user=owner)

    added = web.post(
        "/settings/alerts/channels/",
        {"kind": ChannelKind.SLACK, "name": "#reviews", "url": chat.url},
        follow=True,
    )
    target = AlertChannel.objects.get()
    tested = web.post(f"/settings/alerts/channels/{target.pk}/test/", follow=True).content.decode()
    page = web.get("/settings/alerts/channels/").content.decode()
    web.post(f"/settings/alerts/channels/{target.pk}/remove/")

    assert "#reviews was added" in added.content.decode()
    assert "Test posted to #reviews (HTTP 200)." in tested
    ((_headers, body),) = chat.delivered()
    assert body["blocks"][0]["text"]["text"].startswith("Test: Alert")
    assert chat.url not in page and "127.0.0.1" in page and "Delivered" in page  # the host, never the URL
    assert not AlertChannel.objects.exists()
    assert list(AuditEvent.objects.order_by("at").values_list("action", flat=True)) == [
        "alert_channel.created",
        "alert_channel.removed",
    ]


def test_a_failed_test_says_why(agency, owner, chat):
    chat.always_fail = True
    target = channel(ChannelKind.SLACK, chat.url)

    page = host_client(agency, user=owner).post(f"/settings/alerts/channels/{target.pk}/test/", follow=True)

    assert "The test to #reviews failed: HTTP 500." in page.content.decode()


def test_staff_and_viewers_cannot_manage_channels(agency, make_user, viewer_of, chat):
    target = channel(ChannelKind.SLACK, chat.url)
    for user in (make_user(Role.STAFF), viewer_of(LocationFactory().client)):
        web = host_client(agency, user=user)
        assert web.get("/settings/alerts/channels/").status_code == 403
        assert web.post(f"/settings/alerts/channels/{target.pk}/test/").status_code == 403
        assert web.post(f"/settings/alerts/channels/{target.pk}/remove/").status_code == 403
        assert web.post("/settings/alerts/test/", {"kind": AlertKind.NEGATIVE}).status_code == 403
    assert chat.requests == [] and AlertChannel.objects.exists()
