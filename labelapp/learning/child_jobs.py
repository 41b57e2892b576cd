"""Run a training_process command for a job, turning its events into progress."""

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings

from labelapp.jobs.context import JobCancelled, JobContext
from labelapp.jobs.models import Job
from labelapp.learning.supervisor import ChildCancelled, ChildGaveNoResult, Event, run_child
from simclr_core.progress import within


def work_directory(job: Job) -> Path:
    """Per-job scratch space; kept across attempts so a retry resumes from checkpoints.

    Named by the job's id and creation time: ids start again at 1 when the database is
    reset while the data folder stays, and a new job must not resume an old job's run."""
    created = job.created_at.strftime("%Y%m%dT%H%M%S%f")
    directory = Path(settings.DATA_DIR) / "work" / f"job-{job.pk}-{created}"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def run_training_command(
    context: JobContext,
    command: str,
    spec: dict[str, Any],
    fraction_range: tuple[float, float] = (0.0, 1.0),
) -> Event:
    """Run the child to the end and return its final ``done`` event.

    Progress fractions from the child (0..1) are mapped into ``fraction_range`` of the job.
    Raises JobCancelled when the user cancelled the job (the child is gone then).
    """
    job = context.job
    spec_path = work_directory(job) / f"{command}-spec.json"
    spec_path.write_text(json.dumps(spec))
    progress = within(context.progress, *fraction_range)
    elapsed = time.time() - (job.started_at.timestamp() if job.started_at else time.time())
    done: Event = {}

    def on_event(event: Event) -> None:
        nonlocal done
        if event.get("event") == "progress":
            fraction = event.get("fraction")
            progress(
                None if fraction is None else float(fraction),
                event.get("message"),
                eta_seconds=event.get("eta_seconds"),
                metrics=event.get("metrics"),
            )
        elif event.get("event") == "done":
            done = event

    # Passive OpenMP waits: spinning threads slow training 3-4x on shared or busy cores.
    environment = {"OMP_WAIT_POLICY": "PASSIVE", **os.environ}
    try:
        run = run_child(
            child_command(command, spec_path),
            env=environment,
            on_event=on_event,
            on_log=context.log,
            should_cancel=context.cancel_requested,
            time_limit_seconds=max(60.0, settings.JOB_TIME_LIMIT_SECONDS - elapsed),
        )
    except ChildCancelled:
        raise JobCancelled() from None
    if not done:
        raise ChildGaveNoResult(f"the {command} process ended without a result: {run.describe()}")
    return done


def child_command(command: str, spec_path: Path) -> list[str]:
    return [sys.executable, "-m", "labelapp.learning.training_process", command, str(spec_path)]
