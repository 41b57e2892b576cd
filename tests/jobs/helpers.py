import time
from collections.abc import Callable

from labelapp.jobs.models import Job


def wait_for(job: Job, statuses: set[str], timeout: float = 120.0) -> Job:
    """Poll the job row until it reaches one of ``statuses``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in statuses:
            return job
        time.sleep(0.2)
    raise TimeoutError(f"job {job.pk} is {job.status}, not {statuses}: {job.error}")


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    """Poll ``condition`` until it holds (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def wait_until_finished(job_id: int, timeout: float = 120.0) -> Job:
    """Poll the job row by id until it has finished, whatever the outcome."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = Job.objects.get(pk=job_id)
        if job.is_finished:
            return job
        time.sleep(0.2)
    raise TimeoutError(f"job {job_id} is still {Job.objects.get(pk=job_id).status}")


def wait_for_progress(job: Job, minimum: float, timeout: float = 120.0) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.progress >= minimum and job.status == "running":
            return job
        time.sleep(0.2)
    raise TimeoutError(f"job {job.pk} stayed at {job.progress:.2f} ({job.status}): {job.error}")


def wait_for_training(job: Job, timeout: float = 180.0) -> Job:
    """Wait until the training child reports its first step ("Epoch N, step …")."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status == "running" and job.message.startswith("Epoch"):
            return job
        time.sleep(0.2)
    raise TimeoutError(f"job {job.pk} did not start training ({job.status}): {job.error}")
