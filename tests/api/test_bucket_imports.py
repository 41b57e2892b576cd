"""Starting a bucket import through the API: copy by default, or leave the photos in place."""

from django.test import Client

from labelapp.images.models import BucketSource, UploadBatch
from tests.web.people import Team

SECRET = "very-secret-value"


def start(client: Client, team: Team, **fields: str):
    body = {"bucket": "photos", "access_key_id": "AKID", "secret_access_key": SECRET, **fields}
    url = f"/api/projects/{team.project.pk}/imports/bucket"
    return client.post(url, body, content_type="application/json")


def test_a_bucket_import_copies_unless_told_otherwise(client: Client, team: Team) -> None:
    client.force_login(team.labeler)

    response = start(client, team)

    assert response.status_code == 201
    assert BucketSource.objects.get(batch_id=response.json()["id"]).mode == "copy"


def test_a_reference_import_is_recorded_and_its_secret_not_echoed(client: Client, team: Team):
    client.force_login(team.labeler)

    response = start(client, team, mode="reference")

    assert response.status_code == 201 and SECRET not in response.content.decode()
    source = BucketSource.objects.get(batch_id=response.json()["id"])
    assert (source.mode, source.secret_access_key) == ("reference", SECRET)


def test_an_unknown_mode_is_refused(client: Client, team: Team) -> None:
    client.force_login(team.labeler)

    response = start(client, team, mode="move")

    assert response.status_code == 422
    assert not UploadBatch.objects.exists()
