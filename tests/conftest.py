"""Shared fixtures: real PostgreSQL (pytest-django), real Redis, real worker processes."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings


def pytest_configure(config: pytest.Config) -> None:
    # The suite is meant for the production backends; refusing SQLite here makes a missing
    # DATABASE_URL fail loudly instead of quietly testing something else.
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        raise pytest.UsageError(
            "tests need PostgreSQL: run them with `make test` (or set DATABASE_URL)"
        )
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        raise pytest.UsageError("tests need Redis: run them with `make test` (or set REDIS_URL)")
    # Tests render pages without running collectstatic first.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_AUTOREFRESH = True


pytest_plugins = ["tests.fixtures.workers", "tests.fixtures.cifar", "tests.fixtures.http_server"]


@pytest.fixture(scope="session", autouse=True)
def end_leftover_sessions(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Before the test database is dropped, end the sessions that tests left open on it
    (a live-server thread keeps one), so the drop does not fail with "being accessed by
    other users"."""
    yield
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
