"""Every status transition of a Job lives here, each one a single conditional UPDATE.

Conditional updates make the transitions safe when a message is delivered twice or two
workers race: only one ``claim_job`` can move a job from queued to running.
"""

import functools
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from labelapp.jobs.models import Job, JobKind, JobStatus
from labelapp.webhooks import events as webhook_events

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")
GPU_QUEUE_KINDS = {JobKind.PRETRAIN, JobKind.TRAIN, JobKind.PREDICT, JobKind.EMBED, JobKind.RETRAIN}
LOG_TAIL_CHARACTERS = 4000


def survive_lost_connection(function: Callable[P, R]) -> Callable[P, R]:
    """Retry once on a fresh connection when the database dropped ours (a restart, a
    failover): each wrapped function is a single autocommit statement, safe to repeat."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except (OperationalError, InterfaceError):
            if connection.in_atomic_block:
                raise
            logger.warning("database connection lost; reconnecting", exc_info=True)
            connection.close()
            return function(*args, **kwargs)

    return wrapper


def queue_for(kind: str) -> str:
    """Training and prediction go to the ``gpu`` queue, everything else to ``default``."""
    return "gpu" if kind in GPU_QUEUE_KINDS else "default"


def queue_for_id(job_id: int) -> str:
    kind = Job.objects.filter(pk=job_id).values_list("kind", flat=True).first()
    return queue_for(kind or "")


def send_job(job: Job) -> None:
    """Hand the job to the broker once the transaction that created it has committed.

    By task name: the web process never imports the worker's task (nor its handlers). A
    broker that cannot be reached leaves the job queued and unsent, with a message saying
    so; a worker's sweeper sends it when the broker is back (:func:`send_unsent_jobs`)."""
    job_id, queue = job.pk, queue_for(job.kind)
    transaction.on_commit(lambda: _hand_to_broker(job_id, queue))


def _hand_to_broker(job_id: int, queue: str) -> None:
    from labelapp.celery_app import RUN_JOB_TASK, app

    try:
        app.send_task(RUN_JOB_TASK, (job_id,), queue=queue)
    except Exception:
        logger.warning("job %s could not be handed to the broker", job_id, exc_info=True)
        Job.objects.filter(pk=job_id, status=JobStatus.QUEUED, sent_at=None).update(
            message="Waiting for the job queue: it cannot be reached now; "
            "the job starts when it is back."
        )
        return
    Job.objects.filter(pk=job_id).update(sent_at=timezone.now())


def send_unsent_jobs(older_than_seconds: float = 30.0) -> list[int]:
    """Hand the broker again the queued jobs it never took (it was down when they were
    made or requeued). A job sent twice still runs once: claiming it is conditional."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    unsent = list(
        Job.objects.filter(status=JobStatus.QUEUED, sent_at=None, created_at__lt=cutoff)
        .order_by("id")
        .values_list("pk", "kind")
    )
    for job_id, kind in unsent:
        _hand_to_broker(job_id, queue_for(kind))
    return [job_id for job_id, _ in unsent]


def enqueue_job(kind: str, project: Any = None, user: Any = None, **params: Any) -> Job:
    job = Job.objects.create(kind=kind, project=project, created_by=user, params=params)
    send_job(job)
    return job


@survive_lost_connection
def claim_job(job_id: int, worker: str, device: str) -> Job | None:
    """Move a queued job to running; None when another delivery already took it."""
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING,
        attempts=F("attempts") + 1,
        started_at=now,
        heartbeat_at=now,
        worker=worker,
        device=device,
        error="",
        message="Started",
    )
    return Job.objects.get(pk=job_id) if claimed else None


@survive_lost_connection
def report_progress(
    job_id: int,
    progress: float | None = None,
    message: str | None = None,
    eta_seconds: float | None = None,
    metrics: dict[str, Any] | None = None,
    log_line: str | None = None,
) -> bool:
    """Record progress and a heartbeat; returns True when the user asked to cancel."""
    fields: dict[str, Any] = {"heartbeat_at": timezone.now()}
    if progress is not None:
        fields["progress"] = max(0.0, min(1.0, progress))
    if message is not None:  # a new message ends the estimate of the one before
        fields["message"] = message[:300]
        fields["eta_seconds"] = eta_seconds
    elif eta_seconds is not None:
        fields["eta_seconds"] = eta_seconds
    if metrics is not None:
        fields["metrics"] = metrics
    if log_line is not None:
        tail = Job.objects.filter(pk=job_id).values_list("log_tail", flat=True).first() or ""
        fields["log_tail"] = (tail + log_line.rstrip("\n") + "\n")[-LOG_TAIL_CHARACTERS:]
    Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(**fields)
    return is_cancel_requested(job_id)


@survive_lost_connection
def is_cancel_requested(job_id: int) -> bool:
    return bool(Job.objects.filter(pk=job_id).values_list("cancel_requested", flat=True).first())


@survive_lost_connection
def _finish(job_id: int, status: str, **fields: Any) -> bool:
    finished = bool(
        Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(
            status=status, finished_at=timezone.now(), eta_seconds=None, **fields
        )
    )
    if finished:
        webhook_events.job_finished(job_id)
    return finished


def succeed_job(job_id: int, result: dict[str, Any]) -> bool:
    return _finish(job_id, JobStatus.SUCCEEDED, progress=1.0, result=result, message="Done")


def fail_job(job_id: int, error: str) -> bool:
    return _finish(job_id, JobStatus.FAILED, error=error, message="Failed")


def mark_cancelled(job_id: int) -> bool:
    return _finish(job_id, JobStatus.CANCELLED, message="Cancelled")


def cancel_job(job: Job) -> None:
    """A queued job is cancelled at once; a running one stops at its next check."""
    Job.objects.filter(pk=job.pk, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).update(
        cancel_requested=True
    )
    Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
        status=JobStatus.CANCELLED, finished_at=timezone.now(), message="Cancelled"
    )
    job.refresh_from_db()


def retry_job(job: Job) -> bool:
    """Run a failed or cancelled job again; its attempts start from zero."""
    retried = Job.objects.filter(
        pk=job.pk, status__in=[JobStatus.FAILED, JobStatus.CANCELLED]
    ).update(
        status=JobStatus.QUEUED,
        cancel_requested=False,
        attempts=0,
        error="",
        progress=0.0,
        message="Queued again",
        finished_at=None,
    )
    job.refresh_from_db()
    if retried:
        send_job(job)
    return bool(retried)


def recover_lost_jobs() -> list[int]:
    """Requeue (or fail, past the attempt cap) running jobs whose worker stopped beating.

    Safe to run from every worker at once: each transition is a conditional update.
    """
    cutoff = timezone.now() - timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT_SECONDS)
    recovered: list[int] = []
    stale = Job.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=cutoff)
    for job in stale:
        if job.attempts >= settings.JOB_MAX_ATTEMPTS:
            reason = (
                f"The worker running this job stopped responding {job.attempts} times "
                f"(last on {job.worker or 'an unknown worker'}); giving up."
            )
            if _finish_stale(job, JobStatus.FAILED, error=reason, message="Failed"):
                recovered.append(job.pk)
            continue
        requeued = _finish_stale(
            job, JobStatus.QUEUED, message="Requeued after its worker was lost", sent_at=None
        )
        if requeued:
            logger.warning("job %s lost with worker %s; queued again", job.pk, job.worker)
            with transaction.atomic():
                send_job(job)
            recovered.append(job.pk)
    return recovered


def _finish_stale(job: Job, status: str, **fields: Any) -> bool:
    finished_at = timezone.now() if status != JobStatus.QUEUED else None
    return bool(
        Job.objects.filter(
            pk=job.pk, status=JobStatus.RUNNING, heartbeat_at=job.heartbeat_at
        ).update(status=status, finished_at=finished_at, **fields)
    )
