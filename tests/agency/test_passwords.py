"""Passwords are hashed with Argon2id at or above OWASP's minimum, and older hashes are upgraded.

The suite itself hashes with MD5 (fast); these tests use the production hashers."""

from django.contrib.auth.hashers import make_password
from django.test import override_settings
from django_tenants.utils import schema_context

from agency.services import agency_create
from agency.settings import base
from agency.team.models import User

PASSWORD = "Sunflower-harbor-42"


def _argon2id_parameters(encoded):
    """``{"m": KiB, "t": passes, "p": lanes}`` of an Argon2id hash, or None for another kind."""
    parts = encoded.split("$")
    if parts[:2] != ["argon2", "argon2id"]:
        return None
    return {key: int(value) for key, value in (pair.split("=") for pair in parts[3].split(","))}


@override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS)
def test_the_owners_password_is_hashed_with_argon2id_at_or_above_owasps_minimum(db):
    agency = agency_create(slug="gamma", name="Gamma", owner_email="gia@gamma.test", owner_password=PASSWORD)

    with schema_context(agency.schema_name):
        owner = User.objects.get()
    parameters = _argon2id_parameters(owner.password)
    assert parameters is not None, owner.password.split("$")[0]
    # OWASP's minimum for Argon2id: 19 MiB of memory, 2 passes, 1 lane.
    assert parameters["m"] >= 19 * 1024 and parameters["t"] >= 2 and parameters["p"] >= 1
    assert owner.check_password(PASSWORD)


@override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS)
def test_an_older_hash_becomes_argon2id_at_the_next_login(agency, client):
    user = User.objects.create(
        email="old@alpha.test", password=make_password(PASSWORD, hasher="pbkdf2_sha256")
    )

    client.post("/login/", {"username": "old@alpha.test", "password": PASSWORD}, HTTP_HOST="alpha.localhost")

    user.refresh_from_db()
    assert _argon2id_parameters(user.password) is not None
    assert user.check_password(PASSWORD)


@override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS)
def test_a_wrong_password_changes_nothing(agency, client):
    older = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user = User.objects.create(email="old@alpha.test", password=older)

    client.post("/login/", {"username": "old@alpha.test", "password": "not-it"}, HTTP_HOST="alpha.localhost")

    user.refresh_from_db()
    assert user.password == older
