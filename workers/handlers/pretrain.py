"""Pretrain the project's SimCLR encoder."""

from typing import Any

from labelapp.learning.pretraining import pretrain_project
from workers.handlers.context import JobContext


def run_pretrain(context: JobContext) -> dict[str, Any]:
    return pretrain_project(
        context.job, context.device, context.progress, context.cancel_requested, context.log
    )
