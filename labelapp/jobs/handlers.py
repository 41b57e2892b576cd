"""Job handlers: one function per job kind, taking a JobContext and returning a result.

Handlers are imported when a job of their kind first runs, so a worker that only imports
images never loads torch (about 500 MB of memory).
"""

import importlib
from collections.abc import Callable
from typing import Any

from labelapp.jobs.context import JobContext
from labelapp.jobs.models import JobKind

Handler = Callable[[JobContext], dict[str, Any]]

HANDLER_PATHS: dict[str, str] = {
    JobKind.SELFCHECK: "labelapp.jobs.selfcheck:run_selfcheck",
    JobKind.IMPORT: "labelapp.images.import_job:run_import",
    JobKind.PRETRAIN: "labelapp.learning.jobs:run_pretrain",
    JobKind.EMBED: "labelapp.learning.jobs:run_embed",
    JobKind.TRAIN: "labelapp.learning.jobs:run_train",
    JobKind.PREDICT: "labelapp.learning.jobs:run_predict",
    JobKind.RETRAIN: "labelapp.learning.jobs:run_retrain",
}


def handler_for(kind: str) -> Handler:
    """The handler of a job kind; raises ValueError for a kind no worker knows."""
    if kind not in HANDLER_PATHS:
        raise ValueError(f"This worker does not know how to run a {kind!r} job.")
    module_name, function_name = HANDLER_PATHS[kind].split(":")
    handler: Handler = getattr(importlib.import_module(module_name), function_name)
    return handler
