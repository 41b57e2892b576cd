"""Failed sign-in attempts, counted per username and client address in a shared cache.

After ``LOGIN_MAX_FAILURES`` failures within ``LOGIN_FAILURE_WINDOW_SECONDS`` the pair is
locked until the window that began with the first failure ends. The counts live in the
database cache (settings ``CACHES["login_attempts"]``), so every gunicorn worker and
every web server sees the same numbers, on SQLite as on PostgreSQL.
"""

import hashlib
import math
import time
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.http import HttpRequest

CACHE_NAME = "login_attempts"


def _cache() -> BaseCache:
    return caches[CACHE_NAME]


def _key(username: str, address: str) -> str:
    # Hashed so a hostile username cannot produce an invalid or over-long cache key.
    text = f"{username.strip().lower()}\n{address}"
    return "login-failures:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def client_address(request: HttpRequest) -> str:
    """The address sign-in attempts are counted for.

    Behind a reverse proxy (``BEHIND_PROXY=1``) every request comes from the proxy, so the
    last ``X-Forwarded-For`` entry is used: the one the proxy itself appended. Earlier
    entries are whatever the client sent and could be forged to dodge the limit.
    """
    if settings.BEHIND_PROXY:
        forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last[:64]
    return str(request.META.get("REMOTE_ADDR", ""))


def record_failure(username: str, address: str) -> None:
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    key = _key(username, address)
    cache = _cache()
    # The first failure fixes when the window (and so any lock) ends.
    cache.add(key + ":since", time.time(), timeout=window)
    if not cache.add(key, 1, timeout=window):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=window)


def clear_failures(username: str, address: str) -> None:
    key = _key(username, address)
    _cache().delete_many([key, key + ":since"])


def minutes_locked(username: str, address: str) -> int:
    """0 when sign-in may be tried, otherwise the whole minutes until it may."""
    key = _key(username, address)
    values = _cache().get_many([key, key + ":since"])
    if int(values.get(key, 0)) < settings.LOGIN_MAX_FAILURES:
        return 0
    since = float(values.get(key + ":since", time.time()))
    remaining = since + settings.LOGIN_FAILURE_WINDOW_SECONDS - time.time()
    return 0 if remaining <= 0 else math.ceil(remaining / 60)


def lockout_message(minutes: int) -> str:
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many failed sign-in attempts; try again in {minutes} {unit}."


def _on_login_failed(
    sender: object, credentials: dict[str, Any], request: HttpRequest | None = None, **_: Any
) -> None:
    if request is not None:
        record_failure(str(credentials.get("username", "")), client_address(request))


def _on_logged_in(sender: object, request: HttpRequest | None, user: Any, **_: Any) -> None:
    if request is not None:
        clear_failures(user.get_username(), client_address(request))


def connect_signals() -> None:
    user_login_failed.connect(_on_login_failed, dispatch_uid="security_login.failed")
    user_logged_in.connect(_on_logged_in, dispatch_uid="security_login.logged_in")
