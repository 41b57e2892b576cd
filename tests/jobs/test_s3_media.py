"""Media on an S3-compatible server (moto in server mode, on loopback): upload,
thumbnails and training all go through the storage API, in the web process and a worker."""

import io
import zipfile
from collections.abc import Callable, Iterator

import boto3
import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from moto.server import ThreadedMotoServer

from labelapp.images.models import Image
from labelapp.images.uploads import receive_upload
from labelapp.jobs import services
from labelapp.jobs.models import JobKind, JobStatus
from labelapp.projects.models import Membership, Project, Role
from tests.fixtures.cifar import cifar_sample
from tests.fixtures.workers import free_port
from tests.jobs.helpers import wait_for

BUCKET = "labelapp-test-media"
DONE = {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED}


@pytest.fixture
def s3_environment(settings) -> Iterator[tuple[dict[str, str], Callable[[], list[str]]]]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    environment = {
        "MEDIA_STORAGE": "s3",
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    client = boto3.client(
        "s3",
        endpoint_url=environment["AWS_S3_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": environment["AWS_S3_ENDPOINT_URL"],
                "region_name": "us-east-1",
                "access_key": "testing",
                "secret_key": "testing",
                "file_overwrite": False,
            },
        },
    }

    def bucket_keys() -> list[str]:
        listing = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
        return [entry["Key"] for entry in listing]

    yield environment, bucket_keys
    server.stop()


def zip_of_cifar(per_class: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index, (data, name) in enumerate(cifar_sample("train", per_class)):
            archive.writestr(f"{name}/{index}.jpg", data)
    return buffer.getvalue()


def test_upload_thumbnails_and_training_on_s3(start_worker, s3_environment, client: Client):
    owner = User.objects.create_user("sam", password="a long passphrase 42")
    project = Project.objects.create(name="On S3", created_by=owner, encoder_start="random")
    Membership.objects.create(project=project, user=owner, role=Role.OWNER)
    environment, bucket_keys = s3_environment
    start_worker(extra_env=environment)

    upload = SimpleUploadedFile("cifar.zip", zip_of_cifar(per_class=2), "application/zip")
    batch = receive_upload(project, owner, [upload])
    assert wait_for(batch.job, DONE, 120).status == JobStatus.SUCCEEDED
    pretrain = wait_for(services.enqueue_job(JobKind.PRETRAIN, project, owner, epochs=1), DONE, 180)

    assert pretrain.status == JobStatus.SUCCEEDED, pretrain.error
    keys = bucket_keys()
    image = Image.objects.filter(project=project).first()
    assert Image.objects.filter(project=project).count() == 20
    assert image.file.name in keys and image.thumbnail.name in keys
    assert any(key.startswith("models/") for key in keys)
    assert any(key.startswith("representations/") for key in keys)
    client.force_login(owner)
    response = client.get(f"/projects/{project.pk}/images/{image.pk}/thumbnail/", follow=True)
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body[:2] == b"\xff\xd8"  # a JPEG
