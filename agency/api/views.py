"""The API's shared parts: its base view (rate-limit headers), error documentation, the schema and
docs pages, and the JSON 404 for unknown addresses. Each layer's endpoints live with that layer."""

from csp.constants import NONE, SELF, UNSAFE_INLINE
from drf_spectacular.utils import OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from agency.api.schema import ErrorSerializer
from agency.api.throttling import rate_limit_headers

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input: the fields at fault."),
    401: OpenApiResponse(ErrorSerializer, description="No, a wrong or a revoked token."),
    403: OpenApiResponse(
        ErrorSerializer, description="The token's scope or the user's role does not allow it."
    ),
    404: OpenApiResponse(ErrorSerializer, description="Not found (or not visible to this token)."),
    429: OpenApiResponse(ErrorSerializer, description="Over the rate limit: see Retry-After."),
    503: OpenApiResponse(ErrorSerializer, description="PulseBack could not be reached: try again later."),
}


def errors(*codes):
    return {code: ERRORS[code] for code in codes}


class RateLimitHeadersMixin:
    """Every answer carries the token's rate-limit state."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        return rate_limit_headers(request, response)


class ApiView(RateLimitHeadersMixin, GenericAPIView):
    pass


class SchemaView(RateLimitHeadersMixin, SpectacularAPIView):
    """The OpenAPI 3 schema (no token needed)."""


class SwaggerView(RateLimitHeadersMixin, SpectacularSwaggerSplitView):
    """Swagger UI, from local static files (drf-spectacular-sidecar). Its start-up script is a file of
    its own (``?script``) and its one style block carries the page's nonce: the Content-Security-Policy
    stays strict."""

    template_name = "api/swagger_ui.html"


class RedocView(RateLimitHeadersMixin, SpectacularRedocView):
    """Redoc, from local static files (drf-spectacular-sidecar), without the outside fonts of the
    stock page. Redoc writes its own styles at run time and searches in a worker, so this page alone
    allows inline styles and blob: workers (it shows only the public schema)."""

    template_name = "api/redoc.html"

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response._csp_replace = {"style-src": [SELF, UNSAFE_INLINE], "style-src-attr": [UNSAFE_INLINE],
                                 "worker-src": [SELF, "blob:"], "font-src": [SELF], "connect-src": [SELF],
                                 "object-src": [NONE]}  # fmt: skip
        return response


@extend_schema(exclude=True)
class NotFoundView(ApiView):
    """Any other address under /api/v1/: a JSON 404 (not the site's HTML page)."""

    permission_classes = []

    def _not_found(self, request, *args, **kwargs):
        return Response({"message": "Not found."}, status=status.HTTP_404_NOT_FOUND)

    get = post = put = patch = delete = head = options = _not_found
