import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from agency.models import Agency
from agency.team.models import User


def test_creates_agency_with_custom_domain(db, capsys):
    call_command(
        "create_agency",
        "--slug=delta",
        "--name=Delta Digital",
        "--domain=portal.delta.example",
        "--owner-email=dee@delta.example",
        "--owner-password=Orchard-lantern-81",
    )
    connection.set_schema_to_public()

    assert "Created agency delta" in capsys.readouterr().out
    agency = Agency.objects.get(slug="delta")
    assert agency.get_primary_domain().domain == "portal.delta.example"
    with schema_context(agency.schema_name):
        assert User.objects.get().email == "dee@delta.example"


def test_bad_input_names_each_problem_and_creates_nothing(db):
    with pytest.raises(CommandError) as excinfo:
        call_command(
            "create_agency",
            "--slug=static",
            "--name=X",
            "--domain=alpha.localhost",
            "--owner-email=nope",
            "--owner-password=short",
        )

    text = str(excinfo.value)
    assert "--slug: “static” is reserved" in text
    assert "--domain: The domain “alpha.localhost” is already in use." in text
    assert "--owner-email: Enter a valid email address." in text
    assert "--owner-password:" in text
    assert not schema_exists("agency_static")
