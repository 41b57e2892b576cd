"""Faults with real processes: the broker restarted mid-job, a worker's database sessions
ended mid-job (as by a PostgreSQL restart), a worker SIGKILLed while predicting."""

import io
import os
import signal
import time

import numpy as np
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db import connection
from kombu import Connection

from labelapp.images.models import Image
from labelapp.jobs import services
from labelapp.jobs.models import Job, JobKind, JobStatus
from labelapp.learning import predicting
from labelapp.learning.models import ModelKind, Prediction
from labelapp.learning.versions import create_version
from labelapp.projects.models import Membership, Project, Role
from tests.fixtures.cifar import add_classes
from tests.fixtures.workers import WORKER_APPLICATION
from tests.jobs.helpers import wait_for, wait_for_progress
from workers.tasks import run_job

DONE = {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED}


def send_via(broker_url: str, job: Job) -> None:
    with Connection(broker_url) as broker:
        run_job.apply_async((job.pk,), queue=services.queue_for(job.kind), connection=broker)


def make_project(add_cifar_images, per_class: int = 4) -> tuple[Project, User]:
    owner = User.objects.create_user(f"owner{Project.objects.count()}", password="pass phrase 1")
    project = Project.objects.create(name="Faults", created_by=owner, encoder_start="random")
    Membership.objects.create(project=project, user=owner, role=Role.OWNER)
    add_cifar_images(project, per_class=per_class)
    return project, owner


def test_redis_restarted_during_a_job(start_worker, private_redis, add_cifar_images):
    project, _ = make_project(add_cifar_images)
    start_worker(extra_env={"CELERY_BROKER_URL": private_redis.url, "REDIS_URL": private_redis.url},
                 wait=False)  # fmt: skip
    job = Job.objects.create(kind=JobKind.PRETRAIN, project=project, params={"epochs": 30})
    send_via(private_redis.url, job)
    wait_for_progress(job, 0.2, timeout=180)

    private_redis.stop()
    time.sleep(2)
    private_redis.start()

    assert wait_for(job, DONE, 240).status == JobStatus.SUCCEEDED
    after = Job.objects.create(kind=JobKind.SELFCHECK, project=project)
    send_via(private_redis.url, after)
    assert wait_for(after, DONE, 120).status == JobStatus.SUCCEEDED


def end_sessions(application: str) -> int:
    """What a PostgreSQL restart looks like to a client: every session it holds ends.
    Only the sessions of that application name: the test process keeps its own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = %s",
            [application],
        )
        return int(cursor.fetchone()[0])


def drop_worker_connections() -> int:
    return end_sessions(WORKER_APPLICATION)


def test_database_connections_dropped_during_a_job(start_worker, add_cifar_images):
    project, owner = make_project(add_cifar_images)
    start_worker()
    job = services.enqueue_job(JobKind.PRETRAIN, project, owner, epochs=30)
    wait_for_progress(job, 0.2, timeout=180)

    assert drop_worker_connections() >= 1  # mid-job

    job = wait_for(job, DONE, 240)
    assert job.status == JobStatus.SUCCEEDED, job.error


def synthetic_classifier(project: Project, image_ids: np.ndarray, classes, seed: int):
    probabilities = np.random.default_rng(seed).dirichlet([1.0] * len(classes), len(image_ids))
    buffer = io.BytesIO()
    np.savez(buffer, image_ids=image_ids, probabilities=probabilities.astype(np.float32))
    return create_version(
        project, ModelKind.CLASSIFIER, job_id=None, config={"classes": [c.pk for c in classes]},
        metrics={}, files={"weights": ("classifier.npz", ContentFile(buffer.getvalue()))},
    )  # fmt: skip


def test_worker_sigkilled_while_predicting(start_worker, monkeypatch):
    recovery = {"JOB_HEARTBEAT_TIMEOUT_SECONDS": "6"}
    project = Project.objects.create(name="Many images", encoder_start="random")
    classes = add_classes(project, ["cat", "dog", "bird"])
    Image.objects.bulk_create(
        Image(project=project, file=f"images/{i}.jpg", content_hash=f"{i:064x}", width=32,
              height=32, format="JPEG", original_name=f"{i}.jpg")
        for i in range(20000)
    )  # fmt: skip
    image_ids = np.array(sorted(project.images.values_list("id", flat=True)))
    first = synthetic_classifier(project, image_ids, classes, seed=0)
    predicting.predict_project(Job(project=project), lambda *a, **k: None, version=first)
    second = synthetic_classifier(project, image_ids, classes, seed=1)
    doomed = start_worker(extra_env=recovery)
    job = services.enqueue_job(JobKind.PREDICT, project, None, model_version=second.pk)
    wait_for(job, {JobStatus.RUNNING, *DONE}, 60)

    os.kill(doomed.pid, signal.SIGKILL)
    project.refresh_from_db()
    assert project.current_classifier == first  # never a mix while it is redone
    start_worker(extra_env=recovery)
    job = wait_for(job, DONE, 180)

    assert job.status == JobStatus.SUCCEEDED, job.error
    project.refresh_from_db()
    assert project.current_classifier == second
    assert Prediction.objects.filter(model_version=second).count() == 20000
    assert Prediction.objects.filter(model_version=first).count() == 20000
