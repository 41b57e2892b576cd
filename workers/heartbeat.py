"""Background threads of a worker: a job's heartbeat and the lost-job sweeper."""

import logging
import threading
from collections.abc import Callable

from django.db import close_old_connections, connection

logger = logging.getLogger(__name__)


def run_periodically(interval_seconds: float, action: Callable[[], object]) -> threading.Event:
    """Run ``action`` every interval in a daemon thread until the returned event is set."""
    stop = threading.Event()

    def loop() -> None:
        try:
            while not stop.wait(interval_seconds):
                close_old_connections()
                try:
                    action()
                except Exception:  # a failed beat must not kill the thread
                    logger.exception("periodic action failed")
        finally:
            connection.close()

    threading.Thread(target=loop, daemon=True, name="labelapp-periodic").start()
    return stop
