"""Progress reports and cancellation for long work (no framework dependencies).

One callback type, :class:`Progress`, serves every long step of the project: the SimCLR
loop and classifier selection here, and in the app the import, the image cache, the
training child and the job itself. A step reports the fraction of its own work done (0..1);
:func:`within` maps it onto its part of a larger piece of work, so a job shows one bar.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class Progress(Protocol):
    """How work reports progress: the fraction done (None: unchanged) and what it is doing.

    ``eta_seconds`` is the time left when the step can tell; ``metrics`` are figures worth
    showing while it runs (a training loop's ``loss`` and ``images_per_second``, say).
    """

    def __call__(
        self,
        fraction: float | None,
        message: str | None = None,
        *,
        eta_seconds: float | None = None,
        metrics: dict[str, Any] | None = None,
    ) -> None: ...


def ignore_progress(
    fraction: float | None,
    message: str | None = None,
    *,
    eta_seconds: float | None = None,
    metrics: dict[str, Any] | None = None,
) -> None:
    """The progress of callers that show none."""


def within(progress: Progress, low: float, high: float) -> Progress:
    """``progress`` for one step of a larger piece of work: 0..1 becomes ``low..high``."""

    def report(
        fraction: float | None,
        message: str | None = None,
        *,
        eta_seconds: float | None = None,
        metrics: dict[str, Any] | None = None,
    ) -> None:
        scaled = None if fraction is None else low + (high - low) * fraction
        progress(scaled, message, eta_seconds=eta_seconds, metrics=metrics)

    return report


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
