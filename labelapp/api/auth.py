"""How API callers prove who they are, and which project endpoints they may use.

Scripts send a bearer token, the browser its session cookie (with the CSRF header). For an
endpoint declared with ``api_role`` the same classes also check the caller's role in the
project named by the URL, before the request body is even read: a non-member gets 404
(the project's existence stays hidden), a member with a lower role 403.
"""

from typing import Any

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth

from labelapp.accounts.tokens import user_for_token
from labelapp.ids import parse_id
from labelapp.projects.permissions import find_access


def check_project_role(request: HttpRequest, user: Any, role: str | None) -> Any:
    """Returns ``user`` when they hold ``role`` in the URL's project; raises 404 or 403."""
    if user is None or role is None:
        return user
    match = request.resolver_match
    project_id = parse_id(str(match.kwargs.get("project_id", ""))) if match else None
    access = find_access(user, project_id) if project_id is not None else None
    if access is None:
        raise HttpError(404, "No such project.")
    if not access.allows(role):
        raise HttpError(403, f"This needs the {role} role in this project.")
    request.project_access = access  # type: ignore[attr-defined]
    return user


class BearerToken(HttpBearer):
    def __init__(self, role: str | None = None) -> None:
        super().__init__()
        self.role = role

    def authenticate(self, request: HttpRequest, token: str) -> Any | None:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return check_project_role(request, user, self.role)


class SessionCookie(SessionAuth):
    """The browser's own calls; ninja checks the CSRF token before this runs."""

    def __init__(self, role: str | None = None) -> None:
        super().__init__()
        self.role = role

    def authenticate(self, request: HttpRequest, key: str | None) -> Any | None:
        return check_project_role(request, super().authenticate(request, key), self.role)


def callers(role: str | None = None) -> list[Any]:
    return [BearerToken(role), SessionCookie(role)]


API_AUTH = callers()
