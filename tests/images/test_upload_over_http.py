"""Hostile uploads sent to the real upload endpoint: a clear answer, never a server error."""

from django.test import Client

from labelapp.images.importing import import_staged_batch
from labelapp.images.models import UploadBatch
from tests.images.conftest import picture_bytes, report_by_name, uploaded, zip_bytes

GOOD = picture_bytes((10, 200, 10))


def post_files(client: Client, project, files):
    return client.post(f"/api/projects/{project.pk}/images", {"files": files})


def test_mixed_hostile_upload_is_accepted_and_sorted_file_by_file(client: Client, project, labeler):
    client.force_login(labeler)
    whole_jpeg = picture_bytes(size=(64, 64), image_format="JPEG")
    files = [
        uploaded("good.png", GOOD),
        uploaded("x.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
        uploaded("cut.jpg", whole_jpeg[:200]),
        uploaded("empty.png", b""),
        uploaded("evil.zip", zip_bytes({"../up.png": picture_bytes((1, 2, 3))})),
    ]

    response = post_files(client, project, files)

    assert response.status_code == 201, response.content
    batch = UploadBatch.objects.get(pk=response.json()["id"])
    import_staged_batch(batch)
    statuses = {name: entry["status"] for name, entry in report_by_name(batch).items()}
    assert statuses == {
        "good.png": "added",
        "x.svg": "rejected",
        "cut.jpg": "rejected",
        "empty.png": "rejected",
        "evil.zip/../up.png": "rejected",
    }


def test_upload_of_only_empty_files_is_refused_with_a_reason(client: Client, project, labeler):
    client.force_login(labeler)

    response = post_files(client, project, [uploaded("a.png", b""), uploaded("b.png", b"")])

    assert response.status_code == 422
    assert "None of the files can be imported" in response.content.decode()
    assert not UploadBatch.objects.exists()


def test_viewer_cannot_upload(client: Client, project, viewer):
    client.force_login(viewer)

    response = post_files(client, project, [uploaded("good.png", GOOD)])

    assert response.status_code == 403
    assert not UploadBatch.objects.exists()
