from django.apps import AppConfig


class AlertsConfig(AppConfig):
    """Alerts worth reading: negative feedback, negative spikes, silence, unresolved backlog."""

    name = "clients.alerts"
    label = "alerts"

    def ready(self):
        from clients.alerts import receivers  # noqa: F401  (connects to agency.events)
