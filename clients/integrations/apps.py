from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """Connections to other systems: point-of-sale triggers and feedback requests (inbound), and the
    translation of the domain's events into outbound webhook events."""

    name = "clients.integrations"
    label = "integrations"

    def ready(self):
        from clients.integrations import receivers  # noqa: F401  (connects to agency.events)
