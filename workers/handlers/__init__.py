"""Job handlers: one function per job kind, taking a JobContext and returning a result.

Handlers are imported when a job of their kind first runs, so a worker that only imports
images never loads torch (about 500 MB of memory).
"""

import importlib
from collections.abc import Callable
from typing import Any

from workers.handlers.context import JobCancelled, JobContext

Handler = Callable[[JobContext], dict[str, Any]]

HANDLER_PATHS: dict[str, str] = {
    "selfcheck": "workers.handlers.selfcheck:run_selfcheck",
    "import": "workers.handlers.import_images:run_import",
    "pretrain": "workers.handlers.learning:run_pretrain",
    "embed": "workers.handlers.learning:run_embed",
    "train": "workers.handlers.learning:run_train",
    "predict": "workers.handlers.learning:run_predict",
    "retrain": "workers.handlers.learning:run_retrain",
}


def handler_for(kind: str) -> Handler:
    """The handler of a job kind; raises ValueError for a kind no worker knows."""
    if kind not in HANDLER_PATHS:
        raise ValueError(f"This worker does not know how to run a {kind!r} job.")
    module_name, function_name = HANDLER_PATHS[kind].split(":")
    handler: Handler = getattr(importlib.import_module(module_name), function_name)
    return handler


__all__ = ["HANDLER_PATHS", "Handler", "JobCancelled", "JobContext", "handler_for"]
