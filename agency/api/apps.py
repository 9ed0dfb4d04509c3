from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The agency REST API: personal API tokens, authentication, throttling, endpoints (agency schema)."""

    name = "agency.api"
    label = "api"

    def ready(self):
        from django.urls import register_converter

        from agency.api import schema  # noqa: F401  (registers the OpenAPI auth extension)
        from agency.api.converters import IdConverter

        register_converter(IdConverter, "id")
