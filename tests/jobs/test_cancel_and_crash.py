"""Cancel, SIGKILL and duplicate delivery, with real worker processes."""

import os
import signal
import time

from django.contrib.auth.models import User

from labelapp.jobs import services
from labelapp.jobs.models import Job, JobKind, JobStatus
from labelapp.learning.models import ModelVersion
from labelapp.projects.models import Project
from tests.jobs.helpers import wait_for, wait_for_progress, wait_for_training
from workers.tasks import run_job

FAST_RECOVERY = {"JOB_HEARTBEAT_TIMEOUT_SECONDS": "6"}


def make_project(add_cifar_images, per_class: int = 4) -> tuple[Project, User]:
    owner = User.objects.create_user(f"owner{Project.objects.count()}")
    project = Project.objects.create(name="Birds", created_by=owner, encoder_start="random")
    add_cifar_images(project, per_class=per_class)
    return project, owner


def test_cancel_during_pretraining_stops_within_ten_seconds(start_worker, add_cifar_images):
    project, owner = make_project(add_cifar_images)
    start_worker()
    job = services.enqueue_job(JobKind.PRETRAIN, project, owner, epochs=5000)
    wait_for_training(job)

    services.cancel_job(job)
    cancelled_at = time.monotonic()
    job = wait_for(job, {JobStatus.CANCELLED, JobStatus.FAILED, JobStatus.SUCCEEDED}, 30)

    assert job.status == JobStatus.CANCELLED
    assert time.monotonic() - cancelled_at < 10
    assert not ModelVersion.objects.filter(project=project).exists()
    next_job = services.enqueue_job(JobKind.SELFCHECK, project, owner)
    assert wait_for(next_job, {JobStatus.SUCCEEDED, JobStatus.FAILED}, 30).status == "succeeded"


def test_sigkilled_worker_job_is_requeued_and_finished_by_another(start_worker, add_cifar_images):
    project, owner = make_project(add_cifar_images)
    doomed = start_worker(extra_env=FAST_RECOVERY)
    job = services.enqueue_job(
        JobKind.PRETRAIN, project, owner, epochs=40, checkpoint_every_steps=5
    )
    job = wait_for_progress(job, 0.4)
    assert job.worker == doomed.worker_name

    os.kill(doomed.pid, signal.SIGKILL)
    survivor = start_worker(extra_env=FAST_RECOVERY)
    job = wait_for(job, {JobStatus.SUCCEEDED, JobStatus.FAILED}, 180)

    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.attempts == 2
    assert job.worker == survivor.worker_name
    assert "Resuming from the checkpoint" in job.log_tail
    assert ModelVersion.objects.filter(project=project).count() == 1


def test_job_lost_too_often_is_failed_with_reason(transactional_db, settings):
    settings.JOB_HEARTBEAT_TIMEOUT_SECONDS = 5
    job = Job.objects.create(
        kind=JobKind.SELFCHECK,
        status=JobStatus.RUNNING,
        attempts=settings.JOB_MAX_ATTEMPTS,
        worker="gone@host",
        heartbeat_at="2020-01-01T00:00:00Z",
    )

    services.recover_lost_jobs()

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "stopped responding" in job.error and "gone@host" in job.error


def test_job_delivered_twice_runs_once(start_worker):
    start_worker()
    job = Job.objects.create(kind=JobKind.SELFCHECK)

    run_job.apply_async((job.pk,), queue="default")
    run_job.apply_async((job.pk,), queue="default")
    job = wait_for(job, {JobStatus.SUCCEEDED, JobStatus.FAILED}, 30)
    time.sleep(1.0)  # give the second delivery time to be (not) run

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.attempts == 1


def test_two_workers_share_six_jobs_each_run_exactly_once(start_worker, add_cifar_images):
    projects = [make_project(add_cifar_images, per_class=2) for _ in range(3)]
    first, second = start_worker(), start_worker()
    jobs = [
        services.enqueue_job(JobKind.PRETRAIN, project, owner, epochs=3)
        for project, owner in projects + projects
    ]

    finished = [wait_for(job, {JobStatus.SUCCEEDED, JobStatus.FAILED}, 240) for job in jobs]

    assert [job.status for job in finished] == [JobStatus.SUCCEEDED] * 6, [
        job.error for job in finished
    ]
    assert all(job.attempts == 1 for job in finished)
    assert {job.worker for job in finished} == {first.worker_name, second.worker_name}
    assert ModelVersion.objects.count() == 6


def test_retry_runs_a_failed_job_again(start_worker, add_cifar_images):
    start_worker()
    project = Project.objects.create(name="Empty at first", encoder_start="random")
    job = services.enqueue_job(JobKind.PRETRAIN, project, None, epochs=1)
    job = wait_for(job, {JobStatus.FAILED, JobStatus.SUCCEEDED}, 60)
    assert job.status == JobStatus.FAILED
    assert "at least 16 images" in job.error
    add_cifar_images(project, per_class=2)

    assert services.retry_job(job)
    job = wait_for(job, {JobStatus.FAILED, JobStatus.SUCCEEDED}, 120)

    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.error == ""
