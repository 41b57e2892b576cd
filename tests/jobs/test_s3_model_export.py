"""Models out with media on S3 (moto on loopback): the worker stores the exported files in
the bucket, the web serves them and predicts from them through the storage API."""

from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from labelapp.images.models import Image
from labelapp.images.uploads import receive_upload
from labelapp.jobs import services
from labelapp.jobs.models import JobKind, JobStatus
from labelapp.learning.models import ModelVersion
from labelapp.projects.models import Membership, Project, Role
from tests.fixtures.cifar import CIFAR_CLASSES, add_classes, cifar_sample
from tests.jobs.helpers import wait_for
from tests.jobs.test_s3_media import DONE, s3_environment, zip_of_cifar  # noqa: F401


def test_exports_live_in_the_bucket_and_serve_predictions(
    start_worker,
    s3_environment,  # noqa: F811
    client: Client,
):
    owner = User.objects.create_user("sam")
    project = Project.objects.create(name="On S3", created_by=owner, encoder_start="random")
    Membership.objects.create(project=project, user=owner, role=Role.OWNER)
    classes = {c.name: c for c in add_classes(project, CIFAR_CLASSES)}
    environment, bucket_keys = s3_environment
    start_worker(extra_env=environment)
    upload = SimpleUploadedFile("cifar.zip", zip_of_cifar(per_class=2), "application/zip")
    assert wait_for(receive_upload(project, owner, [upload]).job, DONE, 120).status == "succeeded"
    for image in Image.objects.filter(project=project):
        folder = image.original_name.split("/")[0]
        Image.objects.filter(pk=image.pk).update(current_label=classes[folder])
    pretrain = wait_for(services.enqueue_job(JobKind.PRETRAIN, project, owner, epochs=1), DONE, 180)
    assert pretrain.status == JobStatus.SUCCEEDED, pretrain.error

    retrain = wait_for(
        services.enqueue_job(JobKind.RETRAIN, project, owner, method="linear_probe"), DONE, 300
    )

    assert retrain.status == JobStatus.SUCCEEDED, retrain.error + retrain.log_tail
    files = ModelVersion.objects.get(pk=retrain.result["model_version"]).config["export"]["files"]
    assert set(files.values()) <= set(bucket_keys())
    client.force_login(owner)
    photo = SimpleUploadedFile("photo.jpg", cifar_sample("test", 1)[0][0])
    answer = client.post(f"/api/projects/{project.pk}/predict", {"files": [photo]})
    assert answer.status_code == 200, answer.content
    assert abs(sum(answer.json()["predictions"][0]["probabilities"].values()) - 1) < 1e-4
