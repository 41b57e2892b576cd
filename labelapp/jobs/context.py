"""What a handler gets: its job, the device, and a way to report progress."""

from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from labelapp.jobs import services
from labelapp.jobs.models import Job


class JobCancelled(Exception):
    """Raised inside a handler when the user asked to cancel the job."""


@dataclass
class JobContext:
    job: Job
    device: str

    def progress(
        self,
        fraction: float | None,
        message: str | None = None,
        *,
        eta_seconds: float | None = None,
        metrics: dict[str, Any] | None = None,
    ) -> None:
        """Record progress; raises JobCancelled if the user has asked to stop.

        Without an ``eta_seconds`` of its own, the time left is the time so far scaled by
        the fraction still to do, so every job with a fraction shows an estimate.
        """
        started = self.job.started_at
        if eta_seconds is None and fraction and 0.02 <= fraction < 1 and started:
            elapsed = (timezone.now() - started).total_seconds()
            eta_seconds = round(elapsed * (1 - fraction) / fraction, 1)
        if services.report_progress(self.job.pk, fraction, message, eta_seconds, metrics):
            raise JobCancelled()

    def cancel_requested(self) -> bool:
        return services.is_cancel_requested(self.job.pk)

    def log(self, line: str) -> None:
        services.report_progress(self.job.pk, log_line=line)
