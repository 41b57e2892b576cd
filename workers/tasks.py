"""The Celery task. One task runs every kind of job; the kind picks a handler in labelapp."""

import logging
import socket
from typing import Any

from celery import signals
from django.conf import settings

from labelapp.celery_app import RUN_JOB_TASK, app
from labelapp.jobs import services
from labelapp.jobs.context import JobCancelled, JobContext
from labelapp.jobs.handlers import handler_for
from labelapp.jobs.models import Job
from labelapp.webhooks import events as webhook_events
from workers.device import describe_device, detect_device
from workers.heartbeat import run_periodically

logger = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 5.0


@app.task(name=RUN_JOB_TASK)
def run_job(job_id: int) -> None:
    """Claim the job (at most once), run its handler, and record how it ended."""
    # Only learning jobs need to know the accelerator (and so load torch).
    device = detect_device() if services.queue_for_id(job_id) == "gpu" else "cpu"
    worker_name = run_job.request.hostname or socket.gethostname()
    job = services.claim_job(job_id, worker=worker_name, device=describe_device(device))
    if job is None:
        logger.info("job %s is not queued any more; nothing to do", job_id)
        return
    beating = run_periodically(HEARTBEAT_SECONDS, lambda: services.report_progress(job_id))
    try:
        result = _run_handler(job, device)
    except JobCancelled:
        services.mark_cancelled(job_id)
    except Exception as error:
        logger.exception("job %s failed", job_id)
        services.fail_job(job_id, _plain_error(error))
    else:
        services.succeed_job(job_id, result)
    finally:
        beating.set()


def _run_handler(job: Job, device: str) -> dict[str, Any]:
    return handler_for(job.kind)(JobContext(job=job, device=device))


def _plain_error(error: Exception) -> str:
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}" if not isinstance(error, ValueError) else text


def sweep_seconds() -> float:
    return max(1.0, settings.JOB_HEARTBEAT_TIMEOUT_SECONDS / 4)


def sweep() -> None:
    """Requeue jobs and webhook deliveries whose worker was lost; send again what the
    broker never took (it was down when the job or webhook delivery was made)."""
    services.recover_lost_jobs()
    services.send_unsent_jobs(older_than_seconds=sweep_seconds())
    webhook_events.recover_lost_deliveries()
    webhook_events.send_unsent_deliveries(older_than_seconds=sweep_seconds())


@signals.worker_ready.connect
def _start_sweeper(**_: object) -> None:
    run_periodically(sweep_seconds(), sweep)
