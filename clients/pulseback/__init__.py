"""PulseBack integration: HTTP client (``client``), typed errors (``errors``)
and a local sandbox server for development and tests (``sandbox``).

Nothing in this package imports Django.
"""

from .client import (
    AccessTokenProvider,
    ClientStats,
    Endpoints,
    FeedbackPage,
    PulseBackClient,
    RateLimitState,
    Session,
    SessionTokenProvider,
    check_endpoint_url,
)
from .errors import (
    InvalidApiKey,
    InvalidCredentials,
    ProtocolError,
    PulseBackError,
    RateLimited,
    RefreshTokenRevoked,
    Rejected,
    Unauthorized,
    Unavailable,
)

__all__ = [
    "AccessTokenProvider",
    "ClientStats",
    "Endpoints",
    "FeedbackPage",
    "InvalidApiKey",
    "InvalidCredentials",
    "ProtocolError",
    "PulseBackClient",
    "PulseBackError",
    "RateLimitState",
    "RateLimited",
    "RefreshTokenRevoked",
    "Rejected",
    "Session",
    "SessionTokenProvider",
    "Unauthorized",
    "Unavailable",
    "check_endpoint_url",
]
