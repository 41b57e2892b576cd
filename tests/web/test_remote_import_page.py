"""The page that starts URL and bucket imports, and shows how they went."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from labelapp.images.models import BucketSource, UploadBatch
from tests.web.people import Team


def page_url(team: Team) -> str:
    return f"/projects/{team.project.pk}/import/"


def test_a_url_list_starts_an_import_whose_refusals_are_listed(client: Client, team: Team):
    client.force_login(team.labeler)
    urls = SimpleUploadedFile("urls.txt", b"https://example.org/a.jpg\nfile:///etc/passwd\n")

    response = client.post(page_url(team), {"source": "urls", "file": urls}, follow=True)

    batch = UploadBatch.objects.get(project=team.project)
    page = response.content.decode()
    assert batch.job is not None and batch.job.kind == "import"
    assert f"Import #{batch.pk}" in page and "file:///etc/passwd" in page
    assert "Not an http:// or https:// address" in page


def test_a_bucket_import_keeps_the_secret_out_of_the_page(client: Client, team: Team):
    client.force_login(team.labeler)
    form = {"source": "bucket", "bucket": "photos", "prefix": "cats/"}
    form |= {"access_key_id": "AKID", "secret_access_key": "very-secret-value"}

    response = client.post(page_url(team), form, follow=True)

    source = BucketSource.objects.get(batch__project=team.project)
    assert (source.bucket, source.prefix, source.secret_access_key) == (
        "photos",
        "cats/",
        "very-secret-value",
    )
    assert "very-secret-value" not in response.content.decode()


def test_a_key_without_its_secret_is_refused_with_a_message(client: Client, team: Team):
    client.force_login(team.labeler)

    response = client.post(
        page_url(team), {"source": "bucket", "bucket": "b", "access_key_id": "A"}
    )

    assert "Give both the access key and its secret" in response.content.decode()
    assert not UploadBatch.objects.filter(project=team.project).exists()


def test_viewers_cannot_start_imports(client: Client, team: Team):
    client.force_login(team.viewer)

    response = client.post(page_url(team), {"source": "bucket", "bucket": "b"})

    assert response.status_code == 403


def test_copy_is_the_default_and_the_page_says_why(client: Client, team: Team):
    client.force_login(team.labeler)

    page = client.get(page_url(team)).content.decode()

    assert '<input type="radio" name="mode" value="copy" checked>' in page
    assert '<input type="radio" name="mode" value="reference">' in page
    assert "Copying is the default: training reads every photo many times" in page


def test_a_reference_import_keeps_its_secret_out_of_the_page(client: Client, team: Team):
    client.force_login(team.labeler)
    form = {"source": "bucket", "bucket": "photos", "mode": "reference"}
    form |= {"access_key_id": "AKID", "secret_access_key": "very-secret-value"}

    response = client.post(page_url(team), form, follow=True)

    source = BucketSource.objects.get(batch__project=team.project)
    assert (source.mode, source.secret_access_key) == ("reference", "very-secret-value")
    assert "very-secret-value" not in response.content.decode()
