"""The API's side of labelapp.projects.permissions: the same rules, as HTTP errors.

Each endpoint declares its rule with ``@api_role("viewer")`` (project endpoints, which take
``project_id`` from the path) or ``@api_signed_in``; the permission matrix test reads it.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.http import HttpRequest
from ninja.errors import HttpError

from labelapp.projects.models import Role
from labelapp.projects.permissions import AccessRule, ProjectAccess, find_access

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def api_role(role: str) -> Callable[[Endpoint], Endpoint]:
    Role(role)

    def decorate(endpoint: Endpoint) -> Endpoint:
        @wraps(endpoint)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            access = find_access(request.user, kwargs["project_id"])
            if access is None:
                raise HttpError(404, "No such project.")
            if not access.allows(role):
                raise HttpError(403, f"This needs the {role} role in this project.")
            request.project_access = access  # type: ignore[attr-defined]
            return endpoint(request, *args, **kwargs)

        guarded.access_rule = AccessRule("project", role)  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorate


def api_signed_in(endpoint: Endpoint) -> Endpoint:
    """Any authenticated caller (the API's authentication already refuses the others)."""
    endpoint.access_rule = AccessRule("signed_in")  # type: ignore[attr-defined]
    return endpoint


def project_access(request: HttpRequest) -> ProjectAccess:
    """The access checked by ``api_role`` for this request."""
    access: ProjectAccess = request.project_access  # type: ignore[attr-defined]
    return access
