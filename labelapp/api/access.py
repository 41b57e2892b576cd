"""The API's side of labelapp.projects.permissions: the same rules, declared per endpoint.

``@api_role("viewer")`` (project endpoints, which take ``project_id`` from the path) makes
the endpoint's authentication check the role too (labelapp/api/auth.py), so the check runs
before anything is parsed; ``@api_signed_in`` declares the default (any caller with a
token or session). The permission matrix test reads the declared ``access_rule``.
"""

from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest
from ninja.operation import Operation
from ninja.utils import contribute_operation_callback

from labelapp.api.auth import callers
from labelapp.projects.models import Role
from labelapp.projects.permissions import AccessRule, ProjectAccess

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def api_role(role: str) -> Callable[[Endpoint], Endpoint]:
    Role(role)  # fail at import time on a typo

    def require_role(operation: Operation) -> None:
        operation.auth_param = callers(role)
        operation._set_auth(operation.auth_param)

    def decorate(endpoint: Endpoint) -> Endpoint:
        endpoint.access_rule = AccessRule("project", role)  # type: ignore[attr-defined]
        contribute_operation_callback(endpoint, require_role)
        return endpoint

    return decorate


def api_signed_in(endpoint: Endpoint) -> Endpoint:
    """Any authenticated caller (the API's default authentication refuses the others)."""
    endpoint.access_rule = AccessRule("signed_in")  # type: ignore[attr-defined]
    return endpoint


def project_access(request: HttpRequest) -> ProjectAccess:
    """The project and role that ``api_role``'s check found for this request."""
    access: ProjectAccess = request.project_access  # type: ignore[attr-defined]
    return access
