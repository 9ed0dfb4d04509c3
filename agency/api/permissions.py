"""Who may do what through the API: exactly what the same person may do in the portal.

* Reading: any member's token (a client viewer's sees only its own client).
* Writing (POST, PATCH, DELETE): a token with the write scope; client viewers are read-only.
* What the portal keeps to owners and admins (adding, editing and removing clients, syncing,
  webhooks, point-of-sale triggers) is theirs in the API too (``ManagerWrites``, ``ManagerOnly``).

The README's "API permissions" table lists every endpoint, and tests/api/test_permission_matrix.py
checks each one for every kind of token.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from agency.team.models import MANAGER_ROLES, Role

MANAGERS_MESSAGE = "Only the agency's owners and admins may do this (as in the portal)."


class TokenScopePermission(BasePermission):
    message = "This API token may only read."

    def has_permission(self, request, view):
        if request.user is None or not request.user.is_authenticated:
            return False
        if request.method in SAFE_METHODS:
            return True
        if request.user.role == Role.CLIENT_VIEWER:
            self.message = "Client viewers have read-only access."
            return False
        return request.auth is not None and request.auth.can_write


class ManagerOnly(BasePermission):
    """Reading and writing: owners and admins."""

    message = MANAGERS_MESSAGE

    def has_permission(self, request, view):
        return request.user is not None and request.user.role in MANAGER_ROLES


class ManagerWrites(BasePermission):
    """Any member reads; only owners and admins write."""

    message = MANAGERS_MESSAGE

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return request.user is not None and request.user.role in MANAGER_ROLES
