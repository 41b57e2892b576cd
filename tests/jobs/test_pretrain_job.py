"""Pretraining runs in a real worker process and produces a whole encoder version."""

from django.contrib.auth.models import User

from labelapp.insights import duplicates
from labelapp.jobs import services
from labelapp.jobs.models import JobKind, JobStatus
from labelapp.learning.models import ModelKind, ModelVersion
from labelapp.learning.versions import load_representations
from labelapp.projects.models import Project
from tests.jobs.helpers import wait_for


def test_pretrain_job_creates_encoder_version_with_representations(
    start_worker, add_cifar_images, monkeypatch
) -> None:
    owner = User.objects.create_user("olivia")
    project = Project.objects.create(name="Pets", created_by=owner, encoder_start="random")
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
    monkeypatch.setattr(duplicates, "MAX_IMAGES", 0)  # this process may not search itself
    report = duplicates.find_duplicate_groups(project, 0.95)
    assert report.problem == ""  # the worker did
    assert report.not_compared == 0  # with the pixels of every image the job decoded
