"""Plain progress events and cancellation for training loops (no framework dependencies)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class TrainingProgress:
    """One progress report of a training loop.

    ``step`` counts finished optimizer steps (1-based) out of ``total_steps``; ``loss`` is
    the mean loss since the previous report; ``knn_accuracy`` is set on kNN-monitor steps.
    """

    epoch: int
    step: int
    total_steps: int
    loss: float
    images_per_second: float
    eta_seconds: float
    knn_accuracy: float | None = None


ProgressCallback = Callable[[TrainingProgress], None]
CancelCheck = Callable[[], bool]


class TrainingCancelled(Exception):
    """Raised between steps when ``should_cancel()`` returned True.

    ``step`` is the number of finished steps; a checkpoint at that step has been written when
    the loop has a checkpoint directory, so the run can resume.
    """

    def __init__(self, step: int) -> None:
        super().__init__(f"training cancelled after step {step}")
        self.step = step


def never_cancel() -> bool:
    """The default ``should_cancel``: never asks to stop."""
    return False


def ignore_progress(event: TrainingProgress) -> None:
    """The default progress callback: drops every event."""
