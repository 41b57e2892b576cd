"""What a handler gets: its job, the device, and a way to report progress."""

from dataclasses import dataclass
from typing import Any

from labelapp.jobs import services
from labelapp.jobs.models import Job


class JobCancelled(Exception):
    """Raised inside a handler when the user asked to cancel the job."""


@dataclass
class JobContext:
    job: Job
    device: str

    def progress(self, fraction: float | None, message: str | None = None, **fields: Any) -> None:
        """Record progress; raises JobCancelled if the user has asked to stop."""
        if services.report_progress(self.job.pk, fraction, message, **fields):
            raise JobCancelled()

    def check_cancelled(self) -> None:
        if self.cancel_requested():
            raise JobCancelled()

    def cancel_requested(self) -> bool:
        return services.is_cancel_requested(self.job.pk)

    def log(self, line: str) -> None:
        services.report_progress(self.job.pk, log_line=line)
