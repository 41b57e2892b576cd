"""Pretraining runs in a real worker process and produces a whole encoder version."""

import time

from django.contrib.auth.models import User

from labelapp.jobs import services
from labelapp.jobs.models import Job, JobKind, JobStatus
from labelapp.learning.models import ModelKind, ModelVersion
from labelapp.learning.versions import load_representations
from labelapp.projects.models import Project


def wait_for(job: Job, statuses: set[str], timeout: float = 120.0) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in statuses:
            return job
        time.sleep(0.2)
    raise TimeoutError(f"job {job.pk} is {job.status}, not {statuses}: {job.error}")


def test_pretrain_job_creates_encoder_version_with_representations(
    start_worker, add_cifar_images
) -> None:
    owner = User.objects.create_user("olivia")
    project = Project.objects.create(name="Pets", created_by=owner)
    images = add_cifar_images(project, per_class=4)
    start_worker()

    job = services.enqueue_job(JobKind.PRETRAIN, project, owner, epochs=2)
    job = wait_for(job, {JobStatus.SUCCEEDED, JobStatus.FAILED})

    assert job.status == JobStatus.SUCCEEDED, job.error + job.log_tail
    version = ModelVersion.objects.get(pk=job.result["model_version"])
    assert version.kind == ModelKind.ENCODER
    project.refresh_from_db()
    assert project.current_encoder == version
    image_ids, representations = load_representations(version)
    assert sorted(image_ids.tolist()) == sorted(image.pk for image, _ in images)
    assert representations.shape[0] == len(images)
    assert version.metrics["images"] == len(images)
    assert job.progress == 1.0
