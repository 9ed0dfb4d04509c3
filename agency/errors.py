"""Errors every layer may raise and the API answers the same way."""


class UpstreamUnavailable(Exception):
    """An outside service could not be asked (down, rate limited): nothing was decided. The API
    answers 503, with Retry-After when the service said when to come back."""

    def __init__(self, message, retry_after=None):
        super().__init__(message)
        self.retry_after = retry_after
