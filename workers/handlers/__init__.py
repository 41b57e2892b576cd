"""Job handlers: one function per job kind, taking a JobContext and returning a result."""

from collections.abc import Callable
from typing import Any

from workers.handlers.context import JobCancelled, JobContext
from workers.handlers.import_images import run_import
from workers.handlers.learning import run_embed, run_predict, run_pretrain, run_retrain, run_train
from workers.handlers.selfcheck import run_selfcheck

Handler = Callable[[JobContext], dict[str, Any]]

HANDLERS: dict[str, Handler] = {
    "selfcheck": run_selfcheck,
    "import": run_import,
    "pretrain": run_pretrain,
    "embed": run_embed,
    "train": run_train,
    "predict": run_predict,
    "retrain": run_retrain,
}

__all__ = ["HANDLERS", "Handler", "JobCancelled", "JobContext"]
