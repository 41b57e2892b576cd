"""Shared fixtures: real PostgreSQL (pytest-django), real Redis, real worker processes."""

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
    # Requests served on the test's own threads close their connection when they end, so the
    # test database can be dropped at the end. (Servers the tests start as processes keep the
    # production default: persistent connections with health checks.)
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0


pytest_plugins = ["tests.fixtures.workers", "tests.fixtures.cifar"]
