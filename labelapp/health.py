"""``/healthz``: can the app reach its database and broker, and does a worker answer?"""

import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)
WORKER_PING_SECONDS = 1.0


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return bool(cursor.fetchone() == (1,))
    except Exception:
        logger.warning("health check: database unreachable", exc_info=True)
        return False


def _broker_ok() -> bool:
    from labelapp.celery_app import app

    try:
        with app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        logger.warning("health check: broker unreachable", exc_info=True)
        return False


def _workers_answering() -> list[str]:
    from labelapp.celery_app import app

    try:
        replies = app.control.ping(timeout=WORKER_PING_SECONDS) or []
    except Exception:
        logger.warning("health check: worker ping failed", exc_info=True)
        return []
    return sorted(name for reply in replies for name in reply)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    database = _database_ok()
    broker = _broker_ok()
    workers = _workers_answering() if broker else []
    healthy = database and broker and bool(workers)
    body = {
        "status": "ok" if healthy else "unhealthy",
        "database": database,
        "broker": broker,
        "worker": bool(workers),
        "workers": workers,
    }
    return JsonResponse(body, status=200 if healthy else 503)
