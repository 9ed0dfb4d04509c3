"""Reads for point-of-sale triggers."""

import hmac

from clients.integrations.models import PosTrigger


def pos_trigger_by_key(*, key):
    return PosTrigger.objects.select_related("location").filter(key=key, is_enabled=True).first()


def pos_secret_matches(*, trigger, presented):
    if not presented:
        return False
    return hmac.compare_digest(trigger.secret.reveal().encode(), presented.encode())
