"""PulseBack sessions are kept, refreshed only when needed, and renewed once per stale token."""

import dataclasses
from datetime import UTC, date, timedelta

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


@pytest.fixture
def sandbox_config(sandbox):
    """Change the shared sandbox's behaviour for one test (restored after it)."""
    before = dataclasses.asdict(sandbox.config)
    yield sandbox.configure
    sandbox.configure(**before)


def test_the_expiry_margin_scales_with_the_token_lifetime(location):
    token = tokens_for(location).get()
    soon = timezone.now() + timedelta(seconds=2.5)

    Location.objects.filter(pk=location.pk).update(token_expires_at=soon, token_lifetime=20)
    short_lived = tokens_for(location)
    assert short_lived.get() == token  # 2.5 s left of 20: more than its 2 s margin
    Location.objects.filter(pk=location.pk).update(token_expires_at=soon, token_lifetime=3600)
    hour_long = tokens_for(location)
    assert hour_long.get() != token  # 2.5 s left of an hour: within its 60 s margin
    assert [(t.sign_ins, t.refreshes) for t in (short_lived, hour_long)] == [(0, 0), (0, 1)]


def test_expires_in_is_trusted_over_a_skewed_expires_at(location, sandbox_config):
    sandbox_config(expires_in=20, clock_skew=-600)  # PulseBack's clock ten minutes behind

    tokens_for(location).get()

    location.refresh_from_db()
    left = (location.token_expires_at - timezone.now()).total_seconds()
    assert 17 < left <= 20 and location.token_lifetime == 20


def test_a_spent_refresh_token_falls_back_to_one_sign_in(location, sandbox):
    tokens_for(location).get()
    spent = Location.objects.get(pk=location.pk).refresh_token
    Location.objects.filter(pk=location.pk).update(token_expires_at=timezone.now())
    tokens_for(location).get()  # spends it
    Location.objects.filter(pk=location.pk).update(refresh_token=spent, token_expires_at=timezone.now())

    tokens = tokens_for(location)
    tokens.get()

    assert (tokens.sign_ins, tokens.refreshes) == (1, 0)
    assert sandbox.get_stats(location.pulseback_email)["refresh_failures"] == 1


def test_each_sign_in_and_refresh_is_counted_on_the_location(location):
    tokens_for(location).get()
    Location.objects.filter(pk=location.pk).update(token_expires_at=timezone.now())
    tokens_for(location).get()
    Location.objects.filter(pk=location.pk).update(token_expires_at=timezone.now())
    tokens_for(location).get()

    location.refresh_from_db()
    assert (location.auth_day, location.auth_day_sign_ins, location.auth_day_refreshes) == (
        timezone.now().astimezone(UTC).date(), 1, 2,
    )  # fmt: skip


def test_the_count_starts_again_each_day(location):
    Location.objects.filter(pk=location.pk).update(
        auth_day=date(2026, 1, 1), auth_day_sign_ins=9, auth_day_refreshes=40
    )

    tokens_for(location).get()

    location.refresh_from_db()
    assert (location.auth_day_sign_ins, location.auth_day_refreshes) == (1, 0)
