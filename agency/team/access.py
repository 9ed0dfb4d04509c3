"""Role checks for views: strangers are sent to log in, members without the role get 403."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from agency.team.models import MANAGER_ROLES, Role


def role_required(*roles):
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.user.role not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


manager_required = role_required(*MANAGER_ROLES)

# Every member of the agency; what they see is scoped by the clients they may see.
member_required = role_required(*Role.values)
