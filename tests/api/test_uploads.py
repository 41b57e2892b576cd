"""Uploading through the API (the upload page's script uses the same endpoint)."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from labelapp.images.models import UploadBatch
from labelapp.jobs.models import Job
from tests.web.people import Team


def test_an_upload_is_staged_and_its_import_job_queued(client: Client, team: Team) -> None:
    client.force_login(team.labeler)
    picture = SimpleUploadedFile("a.jpg", b"\xff\xd8\xff\xe0 not really a jpeg")

    response = client.post(f"/api/projects/{team.project.pk}/images", {"files": [picture]})

    assert response.status_code == 201
    body = response.json()
    assert body["files"] == 1
    assert Job.objects.get(pk=body["job"]).kind == "import"


def test_an_empty_file_is_refused_with_a_reason(client: Client, team: Team) -> None:
    client.force_login(team.labeler)

    response = client.post(
        f"/api/projects/{team.project.pk}/images", {"files": [SimpleUploadedFile("a.jpg", b"")]}
    )

    assert response.status_code == 422
    assert "empty" in response.json()["detail"]
    assert not UploadBatch.objects.exists()


def test_more_files_than_one_request_may_carry_is_refused(client: Client, team: Team) -> None:
    client.force_login(team.labeler)
    files = [SimpleUploadedFile(f"{i}.jpg", b"x") for i in range(101)]

    response = client.post(f"/api/projects/{team.project.pk}/images", {"files": files})

    assert response.status_code == 400
    assert not UploadBatch.objects.exists()


def test_viewers_cannot_upload(client: Client, team: Team) -> None:
    client.force_login(team.viewer)

    response = client.post(
        f"/api/projects/{team.project.pk}/images", {"files": [SimpleUploadedFile("a.jpg", b"x")]}
    )

    assert response.status_code == 403
