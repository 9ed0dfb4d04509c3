"""What each kind of visitor may open, one module per area of the portal (so each area declares
its own pages): every module here defines ``PAGES`` (url name: (access, kwargs)), may define
``TESTED_ELSEWHERE`` (names whose access is tested where they live), ``QUERIES`` (url name: query
string) and ``objects(made)`` (adds the ids its kwargs name to ``made``, the shared test objects).

Access levels: PUBLIC anyone; MEMBER any member, a client viewer only their client's; WRITER not
client viewers; MANAGER owners and admins; OWN each member their own.
"""

import importlib
import pkgutil

PUBLIC, MEMBER, WRITER, MANAGER, OWN = "public", "member", "writer", "manager", "own"


def areas():
    """The area modules of this package."""
    return [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in pkgutil.iter_modules(__path__)
        if not info.name.startswith("_")
    ]
