"""How API callers prove who they are: a bearer token (scripts) or the session (browser)."""

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from labelapp.accounts.tokens import user_for_token


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any | None:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


# Session cookies come with CSRF checks (ninja's SessionAuth enforces them).
API_AUTH = [BearerToken(), SessionAuth()]
