"""Who may do what through the API.

* Reading: any member's token (a client viewer's sees only its own client).
* Writing (POST, PATCH, DELETE): a token with the write scope, of an owner,
  admin or staff member; client viewers are read-only.
* Deleting a client and managing webhooks and point-of-sale triggers: owners and admins.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from agency.team.models import MANAGER_ROLES, Role


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
    message = "Only the agency's owners and admins may do this."

    def has_permission(self, request, view):
        return request.user is not None and request.user.role in MANAGER_ROLES
