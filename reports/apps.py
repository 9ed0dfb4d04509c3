from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """White-labeled PDF reputation reports."""

    name = "reports"
