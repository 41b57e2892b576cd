"""Job handlers: one function per job kind, taking a JobContext and returning a result."""

from collections.abc import Callable
from typing import Any

from workers.handlers.context import JobCancelled, JobContext
from workers.handlers.selfcheck import run_selfcheck

Handler = Callable[[JobContext], dict[str, Any]]

HANDLERS: dict[str, Handler] = {
    "selfcheck": run_selfcheck,
}

__all__ = ["HANDLERS", "Handler", "JobCancelled", "JobContext"]
