import re

from agency.team.models import Role
from clients.alerts.models import Alert, AlertChannel, AlertKind, AlertRule, ChannelKind
from tests.conftest import host_client, login_redirect
from tests.factories import ClientFactory


def make_alert(client, key="k"):
    return Alert.objects.create(
        kind=AlertKind.SILENCE, client=client, key=key, message="<b>Quiet</b> location."
    )


def test_members_see_alerts_escaped_and_mark_them_read(agency, make_user):
    alert = make_alert(ClientFactory(name="Bistro Verde"))
    web = host_client(agency, user=make_user(Role.STAFF))

    page = web.get("/alerts/").content.decode()
    web.post(f"/alerts/{alert.pk}/read/")

    assert "&lt;b&gt;Quiet&lt;/b&gt; location." in page
    alert.refresh_from_db()
    assert alert.read_at is not None


def test_a_client_viewer_sees_only_their_client_alerts(agency, viewer_of):
    mine, other = ClientFactory(name="Mine"), ClientFactory(name="Other")
    make_alert(mine, "a")
    theirs = make_alert(other, "b")
    web = host_client(agency, user=viewer_of(mine))

    page = web.get("/alerts/").content.decode()

    assert "Mine" in page and "Other" not in page
    assert web.post(f"/alerts/{theirs.pk}/read/").status_code == 404


def test_manager_tunes_a_rule_for_one_client(agency, owner):
    client = ClientFactory()
    web = host_client(agency, user=owner)

    response = web.post(f"/settings/alerts/?client={client.pk}", {
        "kind": AlertKind.NEGATIVE, f"{AlertKind.NEGATIVE}-max_rating": "3",
        f"{AlertKind.NEGATIVE}-min_spike": "3", f"{AlertKind.NEGATIVE}-silence_days": "7",
        f"{AlertKind.NEGATIVE}-unresolved_hours": "48", f"{AlertKind.NEGATIVE}-muted": "on",
    })  # fmt: skip

    assert response.status_code == 302
    rule = AlertRule.objects.get(client=client, kind=AlertKind.NEGATIVE)
    assert (rule.max_rating, rule.muted) == (3, True)


def test_a_bad_rule_value_is_refused_next_to_the_field(agency, owner):
    response = host_client(agency, user=owner).post("/settings/alerts/", {
        "kind": AlertKind.NEGATIVE, f"{AlertKind.NEGATIVE}-max_rating": "5",
        f"{AlertKind.NEGATIVE}-min_spike": "3", f"{AlertKind.NEGATIVE}-silence_days": "7",
        f"{AlertKind.NEGATIVE}-unresolved_hours": "48",
    })  # fmt: skip

    assert response.status_code == 200
    assert not AlertRule.objects.exists()
    assert "Choose a rating from 1 to 4." in response.content.decode()


def test_staff_and_viewers_cannot_change_rules(agency, make_user):
    for role in (Role.STAFF, Role.CLIENT_VIEWER):
        assert host_client(agency, user=make_user(role)).get("/settings/alerts/").status_code == 403


def test_strangers_are_sent_to_log_in_and_outsiders_get_nothing(agency, outsider):
    alert = make_alert(ClientFactory())
    assert login_redirect(host_client(agency).get("/alerts/"))
    assert outsider.post(f"/alerts/{alert.pk}/read/").status_code in (302, 404)
    alert.refresh_from_db()
    assert alert.read_at is None


def test_a_client_that_is_not_a_number_is_a_bad_request(agency, owner):
    assert host_client(agency, user=owner).get("/settings/alerts/?client=abc").status_code == 400


def test_each_rule_form_shows_only_the_fields_of_its_kind(agency, owner):
    page = host_client(agency, user=owner).get("/settings/alerts/").content.decode()

    def inputs_of(kind):
        card = page.split(f'id="rule-{kind}"', 1)[1].split("</section>", 1)[0]
        return set(re.findall(rf'name="{kind}-(\w+)"', card))

    common = {"muted", "digest", "recipients"}
    assert inputs_of(AlertKind.NEGATIVE) == {"max_rating", *common}
    assert inputs_of(AlertKind.SPIKE) == {"max_rating", "min_spike", *common}
    assert inputs_of(AlertKind.SILENCE) == {"silence_days", *common}
    assert inputs_of(AlertKind.UNRESOLVED) == {"unresolved_hours", *common}
    assert inputs_of(AlertKind.LOGIN_BROKEN) == common
    assert inputs_of(AlertKind.SYNC_FAILING) == {"failures_in_row", *common}


def test_a_rule_posts_to_the_channels_ticked_and_sends_them_a_test(agency, owner, chat):
    slack = AlertChannel.objects.create(
        kind=ChannelKind.SLACK, name="#reviews", url=chat.url, host="127.0.0.1"
    )
    web = host_client(agency, user=owner)
    kind = AlertKind.SYNC_FAILING

    web.post(
        "/settings/alerts/", {"kind": kind, f"{kind}-failures_in_row": "4", f"{kind}-channels": slack.pk}
    )
    rule = AlertRule.objects.get(kind=kind, client=None)
    page = web.get("/settings/alerts/").content.decode()
    tested = web.post("/settings/alerts/test/", {"kind": kind}, follow=True).content.decode()

    assert rule.failures_in_row == 4 and list(rule.channels.all()) == [slack]
    assert "Send a test to #reviews (Slack)" in page
    assert "Test posted to #reviews (HTTP 200)." in tested
    ((_headers, body),) = chat.delivered()
    assert body["blocks"][0]["text"]["text"] == "Test: Syncs failing in a row · Bistro Verde (example)"


def test_a_client_rule_starts_from_the_channels_of_the_agency_rule(agency, owner, chat):
    slack = AlertChannel.objects.create(
        kind=ChannelKind.SLACK, name="#reviews", url=chat.url, host="127.0.0.1"
    )
    AlertRule.objects.create(kind=AlertKind.NEGATIVE).channels.add(slack)
    client = ClientFactory()

    page = host_client(agency, user=owner).get(f"/settings/alerts/?client={client.pk}").content.decode()

    card = page.split(f'id="rule-{AlertKind.NEGATIVE}"', 1)[1].split("</section>", 1)[0]
    (tick,) = re.findall(rf'<input type="checkbox" name="{AlertKind.NEGATIVE}-channels"[^>]*>', card)
    assert f'value="{slack.pk}"' in tick and "checked" in tick


def test_testing_a_rule_without_channels_says_what_to_do(agency, owner):
    response = host_client(agency, user=owner).post(
        "/settings/alerts/test/", {"kind": AlertKind.NEGATIVE}, follow=True
    )

    assert "This rule posts to no chat channel" in response.content.decode()
