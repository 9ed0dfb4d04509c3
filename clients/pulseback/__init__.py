"""PulseBack integration: HTTP client (``client``), sessions and token providers
(``session``), the retry machinery (``execute``), answer parsing (``parsing``),
typed errors (``errors``) and a local sandbox server for development and tests
(``sandbox``, never imported by the client modules).

The lowest layer: nothing here imports Django or the rest of the project.
Outbound address checks live in ``agency.netguard``.
"""

from .client import Endpoints, PulseBackClient
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
from .execute import ClientStats
from .parsing import FeedbackPage, RateLimitState
from .session import AccessTokenProvider, Session, SessionTokenProvider, expiry_margin

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
    "expiry_margin",
]
