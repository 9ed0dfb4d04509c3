"""OpenAPI pieces drf-spectacular cannot infer: the bearer token scheme and the error shape."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import serializers


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "agency.api.authentication.ApiTokenAuthentication"
    name = "ApiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token (Settings → API tokens, or manage.py create_api_token).",
        }


class ErrorSerializer(serializers.Serializer):
    message = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.JSONField(), required=False, help_text="For invalid input: the fields at fault."
    )


RATE_LIMIT_HEADERS = {
    "X-RateLimit-Remaining": {
        "description": "Requests left in the current window (per token).",
        "schema": {"type": "integer", "minimum": 0},
    },
    "X-RateLimit-Reset": {
        "description": "Seconds until the window resets.",
        "schema": {"type": "integer", "minimum": 1},
    },
}


def api_conventions(result, generator, request, public):
    """drf-spectacular hook: request bodies refuse unknown fields (StrictSerializer), and every
    answer carries the rate-limit headers."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and component.get("type") == "object":
            component["additionalProperties"] = False
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            for response in operation.get("responses", {}).values():
                response.setdefault("headers", {}).update(RATE_LIMIT_HEADERS)
    return result
