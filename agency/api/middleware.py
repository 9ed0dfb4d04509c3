"""The API answers in JSON whatever goes wrong, as its documentation says (``{"message": ...}``):

* a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``: 400, before anything reads it;
* the database, the broker or the cache unreachable: 503 with Retry-After, even when it fails
  before any view runs (finding the agency of the domain needs the database);
* any other error page Django would draw in HTML (an unknown domain's 404, a 500): the same status
  in JSON.

It sits before the tenant middleware. Django turns an exception into a response inside each
middleware's wrapper, so the exception is noted on the request (``got_request_exception``) to tell
"unavailable" from a plain server error.
"""

import sys

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from kombu.exceptions import OperationalError as BrokerUnavailable
from redis.exceptions import ConnectionError as CacheUnavailable
from redis.exceptions import TimeoutError as CacheTimeout

API_PREFIX = "/api/"
UNAVAILABLE = (OperationalError, InterfaceError, BrokerUnavailable, CacheUnavailable, CacheTimeout)
RETRY_AFTER_SECONDS = 30
UNAVAILABLE_MESSAGE = "The service is temporarily unavailable: try again shortly."
MESSAGES = {
    400: "Bad request.",
    403: "Forbidden.",
    404: "Not found.",
    405: "Method not allowed.",
    413: "The request body is too large.",
    500: "Server error: it was logged, and we will look into it.",
}


def unavailable_response():
    response = JsonResponse({"message": UNAVAILABLE_MESSAGE}, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _note_exception(sender, request=None, **kwargs):
    if request is not None and request.path_info.startswith(API_PREFIX):
        request.api_exception = sys.exc_info()[1]


got_request_exception.connect(_note_exception, dispatch_uid="agency.api.middleware.note_exception")


def _content_length(request):
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class ApiErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and _content_length(request) > limit:
            message = f"The request body is too large: at most {limit // 1024} KB."
            return JsonResponse({"message": message, "fields": {"body": [message]}}, status=400)
        response = self.get_response(request)
        if response.status_code < 400 or "json" in response.get("Content-Type", ""):
            return response
        if isinstance(getattr(request, "api_exception", None), UNAVAILABLE):
            return unavailable_response()
        status = response.status_code
        message = MESSAGES.get(status) or getattr(response, "reason_phrase", "") or "Error."
        answer = JsonResponse({"message": message}, status=status)
        for header in ("Retry-After", "Allow"):
            if header in response:
                answer[header] = response[header]
        return answer
