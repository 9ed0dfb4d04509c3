from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """White-labeled PDF reputation reports."""

    name = "reports"

    def ready(self):
        from reports import operations

        operations.connect()  # usage figures and export for the operator (agency.events)
