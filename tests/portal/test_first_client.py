"""A new agency's first client: the add-client form starts from working PulseBack addresses (the
sandbox's in development, the deployment's in production), says which, and explains in plain words
what is still missing; after sign-up it is a welcoming first step. Bulk import offers a template."""

import csv
import io

from clients.bulk_import import COLUMNS
from clients.models import Client
from clients.pulseback import sandbox
from tests.conftest import SANDBOX_PASSWORD, host_client


def test_with_the_sandbox_the_form_starts_from_its_addresses_and_says_so(agency, owner, settings):
    settings.PULSEBACK_SANDBOX_URL = "http://127.0.0.1:8765/"

    response = host_client(agency, user=owner).get("/clients/new/")

    form = response.context["form"]
    assert form["api_url"].value() == "http://127.0.0.1:8765/api"
    assert form["auth_url"].value() == "http://127.0.0.1:8765"
    assert form["anon_key"].value() == sandbox.ANON_KEY
    page = response.content.decode()
    assert "Development portal:" in page and "PulseBack sandbox" in page
    email, password = settings.PULSEBACK_SANDBOX_EXAMPLE_LOGIN
    assert email in page and password in page


def test_the_development_settings_name_the_sandboxs_own_key_and_a_real_login():
    from agency.settings import dev

    assert dev.PULSEBACK_SANDBOX_ANON_KEY == sandbox.ANON_KEY
    email, password = dev.PULSEBACK_SANDBOX_EXAMPLE_LOGIN
    assert any(account[:2] == (email, password) for account in sandbox.DEMO_ACCOUNTS)


def test_a_client_added_with_the_defaults_connects_to_the_sandbox(
    agency, owner, settings, sandbox_server, sandbox_account
):
    settings.PULSEBACK_SANDBOX_URL = sandbox_server.auth_url
    web = host_client(agency, user=owner)
    defaults = web.get("/clients/new/").context["form"].initial
    login = {"pulseback_email": sandbox_account(items=12), "pulseback_password": SANDBOX_PASSWORD}
    addresses = {name: defaults[name] for name in ("api_url", "auth_url", "anon_key")}
    form = {"name": "Lakeside", "timezone": "UTC", **login, **addresses}

    tested = web.post("/clients/new/", {**form, "action": "test"}, HTTP_X_REQUESTED_WITH="fetch")
    saved = web.post("/clients/new/", {**form, "action": "save"})

    assert tested.json() == {"ok": True, "message": "Connected to PulseBack: 12 feedback items to sync."}
    assert saved.status_code == 302
    location = Client.objects.get(name="Lakeside").locations.get()
    assert (location.api_url, location.anon_key) == (f"{sandbox_server.auth_url}/api", sandbox.ANON_KEY)


def test_in_production_the_deployments_addresses_apply(agency, owner, settings):
    settings.PULSEBACK_SANDBOX_ENABLED = False
    settings.PULSEBACK_API_URL = "https://pulseback.example/api"
    settings.PULSEBACK_ANON_KEY = "deployment-key"

    response = host_client(agency, user=owner).get("/clients/new/")

    form = response.context["form"]
    assert (form["api_url"].value(), form["anon_key"].value()) == (None, None)
    assert not form.fields["anon_key"].required
    page = response.content.decode()
    assert "Blank: this portal&#x27;s, https://pulseback.example/api" in page
    assert "Development portal" not in page
    assert '<details class="more">' in page  # nothing to look at: the addresses stay folded


def test_a_missing_key_is_explained_in_plain_words(agency, owner, settings):
    settings.PULSEBACK_SANDBOX_ENABLED = False
    settings.PULSEBACK_ANON_KEY = ""
    web = host_client(agency, user=owner)

    page = web.get("/clients/new/").content.decode()
    login = {"pulseback_email": "a@b.test", "pulseback_password": "x"}
    response = web.post("/clients/new/", {"name": "Lakeside", "timezone": "UTC", "action": "test", **login})

    assert "This portal has no PulseBack public key of its own yet" in page
    assert '<details class="more" open>' in page  # unfolded: it needs a look
    assert response.context["form"].errors["anon_key"] == [
        "PulseBack needs a public key to sign in, and this portal has none to offer: paste one here."
    ]
    assert "anon key is empty" not in response.content.decode()


def test_after_sign_up_the_first_client_is_a_welcoming_first_step(agency, owner):
    web = host_client(agency, user=owner)

    first = web.get("/clients/new/", {"first": "1"}).content.decode()
    usual = web.get("/clients/new/").content.decode()

    assert "<h1>Connect your first client</h1>" in first and "Welcome to Alpha Agency" in first
    assert "Go to the overview" in first
    assert "<h1>Add a client</h1>" in usual and "Welcome to" not in usual


def test_an_empty_portfolio_leads_to_the_first_client(agency, owner):
    page = host_client(agency, user=owner).get("/").content.decode()

    assert 'href="/clients/new/?first=1"' in page and 'href="/clients/import/"' in page


def test_the_import_page_offers_a_template_with_example_rows(agency, owner, settings):
    settings.PULSEBACK_SANDBOX_URL = "http://127.0.0.1:8765"
    web = host_client(agency, user=owner)

    page = web.get("/clients/import/").content.decode()
    template = web.get("/clients/import/template.csv")

    assert 'href="/clients/import/template.csv"' in page
    assert template["Content-Disposition"] == 'attachment; filename="clients-import-template.csv"'
    rows = list(csv.DictReader(io.StringIO(template.content.decode())))
    assert list(rows[0]) == list(COLUMNS)
    assert [(row["client"], row["location"]) for row in rows] == [
        ("Bistro Verde", "Main Street"), ("Bistro Verde", "Harbour"), ("Bright Smile Dental", ""),
    ]  # fmt: skip
    assert {row["api_url"] for row in rows} == {"http://127.0.0.1:8765/api"}
    assert rows[1]["invite_email"] and not rows[1]["pulseback_email"]
