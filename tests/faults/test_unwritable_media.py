"""The media storage fails during an upload: a clear message, and nothing half-done."""

from pathlib import Path

from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.test import Client

from labelapp.images.models import UploadBatch
from labelapp.jobs.models import Job
from labelapp.projects.models import Membership, Project, Role
from tests.fixtures.cifar import cifar_sample


def test_unwritable_media_during_upload_keeps_nothing_half_done(
    transactional_db, settings, tmp_path: Path
):
    owner = User.objects.create_user("uma", password="a long passphrase 9")
    project = Project.objects.create(
        name="Read-only disk", created_by=owner, encoder_start="random"
    )
    Membership.objects.create(project=project, user=owner, role=Role.OWNER)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("media cannot be created under a file, even by root")
    settings.MEDIA_ROOT = str(blocker / "media")
    client = Client()
    client.force_login(owner)
    data, _ = cifar_sample("train", 1)[0]

    response = client.post(
        f"/api/projects/{project.pk}/images",
        {"files": [ContentFile(data, name="cat.jpg")]},
    )

    assert response.status_code in {422, 503, 507}, response.content[:300]
    assert "storage" in response.json()["detail"].lower()
    assert not UploadBatch.objects.exists()
    assert not Job.objects.exists()
