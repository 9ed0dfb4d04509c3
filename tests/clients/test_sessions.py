"""PulseBack sessions are kept, refreshed only when needed, and renewed once per stale token."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clients.models import Location
from clients.sessions import LocationTokens, pulseback_client_for


@pytest.fixture
def location(sandbox_account, make_location):
    return make_location(sandbox_account(items=3))


def tokens_for(location):
    location = Location.objects.get(pk=location.pk)
    return LocationTokens(location, pulseback_client_for(location))


def test_first_use_signs_in_and_stores_the_session_encrypted(location):
    tokens = tokens_for(location)

    token = tokens.get()

    location.refresh_from_db()
    assert location.access_token.reveal() == token
    assert location.refresh_token
    assert location.token_expires_at > timezone.now() + timedelta(minutes=30)
    assert (tokens.sign_ins, tokens.refreshes) == (1, 0)


def test_a_kept_session_is_used_without_any_auth_call(location):
    tokens_for(location).get()

    again = tokens_for(location)
    again.get()

    assert (again.sign_ins, again.refreshes) == (0, 0)


def test_a_session_about_to_expire_is_refreshed_not_signed_in_again(location):
    first = tokens_for(location).get()
    Location.objects.filter(pk=location.pk).update(token_expires_at=timezone.now() + timedelta(seconds=30))
    spent_refresh = Location.objects.get(pk=location.pk).refresh_token

    tokens = tokens_for(location)
    token = tokens.get()

    location.refresh_from_db()
    assert (tokens.sign_ins, tokens.refreshes) == (0, 1)
    assert token != first
    assert location.refresh_token != spent_refresh  # the rotated token was stored


def test_renewal_done_by_another_worker_is_reused(location):
    stale = tokens_for(location).get()
    other_worker = tokens_for(location)
    fresh = other_worker.renew(stale)

    this_worker = tokens_for(location)
    this_worker._token = stale  # it still holds the token that just got a 401
    token = this_worker.renew(stale)

    assert token == fresh
    assert (this_worker.sign_ins, this_worker.refreshes) == (0, 0)


def test_a_revoked_refresh_token_falls_back_to_signing_in(location, sandbox):
    tokens_for(location).get()
    sandbox.revoke_sessions(location.pulseback_email)
    Location.objects.filter(pk=location.pk).update(token_expires_at=timezone.now())

    tokens = tokens_for(location)
    tokens.get()

    assert (tokens.sign_ins, tokens.refreshes) == (1, 0)
