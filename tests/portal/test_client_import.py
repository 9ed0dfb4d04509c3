"""Bulk import: a preview says which rows are valid and why others are not; confirming imports them all."""

from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from agency.team.models import ConnectInvitation, Role
from clients.bulk_import import COLUMNS
from clients.models import Client, Location
from tests.conftest import SANDBOX_PASSWORD, host_client

HEADER = ",".join(COLUMNS)


def csv_file(sandbox_server, *rows):
    urls = f"{sandbox_server.api_url},{sandbox_server.auth_url},{sandbox_server.anon_key}"
    lines = [HEADER] + [f"{row},{urls}" for row in rows]
    return SimpleUploadedFile("clients.csv", "\n".join(lines).encode(), content_type="text/csv")


ROWS = (
    f"Lakeside,Hotel,Europe/Paris,a@lake.example;b@lake.example,hotel@sb.test,{SANDBOX_PASSWORD},",
    f"Lakeside,Salon,Europe/Paris,,salon@sb.test,{SANDBOX_PASSWORD},",
    "Corner Café,,UTC,,,,owner@cafe.example",
    "Broken,,Mars/Base,,,,",
    f"Twice,,UTC,,x@sb.test,{SANDBOX_PASSWORD},owner@twice.example",
)


def test_preview_then_import_the_valid_rows(
    agency, owner, sandbox_server, django_capture_on_commit_callbacks
):
    web = host_client(agency, user=owner)

    preview = web.post("/clients/import/", {"file": csv_file(sandbox_server, *ROWS)})

    page = preview.content.decode()
    assert "3 of 5 rows can be imported" in page
    assert "unknown time zone “Mars/Base”" in page
    assert "give either a PulseBack login (email and password) or an invite_email, not both" in page
    assert SANDBOX_PASSWORD not in page
    assert not Client.objects.exists()

    with django_capture_on_commit_callbacks():
        response = web.post("/clients/import/", {"action": "confirm"})

    assert response.status_code == 302
    lakeside = Client.objects.get(name="Lakeside")
    assert sorted(lakeside.locations.values_list("name", flat=True)) == ["Hotel", "Salon"]
    assert lakeside.report_recipients == ["a@lake.example", "b@lake.example"]
    cafe = Client.objects.get(name="Corner Café")
    assert ConnectInvitation.objects.get().client_id == cafe.pk
    assert not Client.objects.filter(name__in=["Broken", "Twice"]).exists()


def test_nothing_is_half_imported(agency, owner, sandbox_server):
    web = host_client(agency, user=owner)
    web.post("/clients/import/", {"file": csv_file(sandbox_server, *ROWS[:2])})

    failing = mock.patch("clients.bulk_import.location_add", side_effect=RuntimeError("database went away"))
    with failing, pytest.raises(RuntimeError):
        web.post("/clients/import/", {"action": "confirm"})

    assert not Client.objects.exists()
    assert not Location.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe\x00bad", "not UTF-8"),
        (b"name,email\nA,b@c.example", "Columns missing from the header row"),
        (HEADER.encode(), "no rows under its header"),
    ],
)
def test_a_bad_file_is_refused_with_what_is_wrong(agency, owner, content, message):
    upload = SimpleUploadedFile("clients.csv", content, content_type="text/csv")

    response = host_client(agency, user=owner).post("/clients/import/", {"file": upload})

    assert message in " ".join(response.context["form"].errors["file"])


def test_confirming_without_a_preview_imports_nothing(agency, owner):
    response = host_client(agency, user=owner).post("/clients/import/", {"action": "confirm"}, follow=True)

    assert b"Nothing to import" in response.content


def test_staff_cannot_import(agency, make_user):
    assert host_client(agency, user=make_user(Role.STAFF)).get("/clients/import/").status_code == 403
