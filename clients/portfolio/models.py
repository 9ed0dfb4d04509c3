"""Client groups (agency schema): by account manager, by region, or any tag the agency likes."""

from django.db import models
from django.db.models.functions import Lower

from clients.models import Client


class GroupKind(models.TextChoices):
    ACCOUNT_MANAGER = "account_manager", "Account manager"
    REGION = "region", "Region"
    TAG = "tag", "Tag"


class ClientGroup(models.Model):
    """A named set of clients; a client may be in several groups."""

    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=20, choices=GroupKind.choices, default=GroupKind.TAG)
    clients = models.ManyToManyField(Client, related_name="portfolio_groups", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "kind", name="clientgroup_unique_name_per_kind"),
        ]

    def __str__(self):
        return self.name
