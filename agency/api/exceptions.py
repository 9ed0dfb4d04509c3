"""Errors as JSON: ``{"message": ..., "fields": {field: [messages]}}`` (``fields`` for validation only)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from agency.api.middleware import RETRY_AFTER_SECONDS, UNAVAILABLE, UNAVAILABLE_MESSAGE
from agency.errors import UpstreamUnavailable


def _messages(value):
    if isinstance(value, dict):
        return {key: _messages(inner) for key, inner in value.items()}
    if isinstance(value, list):
        if all(not isinstance(item, (dict, list)) for item in value):
            return [str(item) for item in value]
        return [_messages(item) for item in value]
    return [str(value)]


def api_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    if isinstance(exc, UpstreamUnavailable):
        response = Response({"message": str(exc)}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        if exc.retry_after:
            response["Retry-After"] = str(int(exc.retry_after) + 1)
        return response
    if isinstance(exc, UNAVAILABLE):  # the database, the broker or the cache: nothing was decided
        response = Response({"message": UNAVAILABLE_MESSAGE}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        data = response.data
        fields = _messages(data) if isinstance(data, dict) else {"non_field_errors": _messages(data)}
        names = ", ".join(fields)
        response.data = {"message": f"Invalid input: {names}.", "fields": fields}
    elif isinstance(exc, exceptions.ParseError):
        response.data = {"message": str(exc.detail), "fields": {"body": [str(exc.detail)]}}
    else:
        detail = response.data.get("detail") if isinstance(response.data, dict) else None
        response.data = {"message": str(detail or exc)}
    return response
