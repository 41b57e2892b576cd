"""Job handlers: one function per job kind, taking a JobContext and returning a result."""

from collections.abc import Callable
from typing import Any

from workers.handlers.context import JobCancelled, JobContext
from workers.handlers.import_images import run_import
from workers.handlers.pretrain import run_pretrain
from workers.handlers.selfcheck import run_selfcheck

Handler = Callable[[JobContext], dict[str, Any]]

HANDLERS: dict[str, Handler] = {
    "selfcheck": run_selfcheck,
    "import": run_import,
    "pretrain": run_pretrain,
}

__all__ = ["HANDLERS", "Handler", "JobCancelled", "JobContext"]
