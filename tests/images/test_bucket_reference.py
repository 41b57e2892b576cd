"""A bucket import that leaves the photos where they are: each is read from the bucket when
it is shown, trained on or exported (moto in server mode on loopback)."""

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from labelapp.images.export import imagenet_zip_chunks
from labelapp.images.image_bytes import ImageGone
from labelapp.images.importing import COPIED_NOTE, import_staged_batch
from labelapp.images.models import BucketMode, BucketSource, Image, UploadBatch
from labelapp.images.remote_import import receive_bucket_import
from labelapp.learning.dataset_cache import build_image_cache
from labelapp.projects.models import Project
from tests.fixtures.workers import free_port
from tests.images.buckets import LOOPBACK, SECRET, s3_client, spec
from tests.images.conftest import picture_bytes, report_by_name

RED = picture_bytes((255, 0, 0))


@pytest.fixture
def referenced(project, owner, settings, moto_endpoint) -> UploadBatch:
    """set1/ imported by reference: red.png and deeper/green.png stay in the bucket, big.png
    (a BMP, so converted) is copied, notes.txt is refused."""
    settings.OUTBOUND_ALLOWED_NETWORKS = LOOPBACK
    batch = receive_bucket_import(project, owner, spec(moto_endpoint, mode=BucketMode.REFERENCE))
    import_staged_batch(batch)
    return batch


@pytest.fixture
def cache_folder(settings, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    return tmp_path / "cache"


def red_image(project: Project) -> Image:
    return Image.objects.get(project=project, original_name="set1/red.png")


def file_url(image: Image) -> str:
    return reverse("image-file-hashed", args=[image.project_id, image.pk, image.content_hash])


def test_pictures_stay_in_the_bucket_and_only_thumbnails_are_stored(project, referenced, settings):
    red = red_image(project)
    stored = sorted(path.name for path in (Path(settings.MEDIA_ROOT) / "images").rglob("*.*"))
    thumbnails = list((Path(settings.MEDIA_ROOT) / "thumbnails").rglob("*.jpg"))

    assert (red.file.name, red.object_key, red.object_size) == ("", "set1/red.png", len(RED))
    assert red.bucket_source == BucketSource.objects.get(batch=referenced)
    assert stored == [f"{Image.objects.get(original_name='set1/big.png').content_hash}.png"]
    assert len(thumbnails) == project.images.count() == 3
    assert report_by_name(referenced)["set1/big.png"]["message"] == COPIED_NOTE
    assert BucketSource.objects.get(batch=referenced).secret_access_key == SECRET  # still needed


def test_a_bucket_import_copies_by_default(project, owner, settings, moto_endpoint):
    settings.OUTBOUND_ALLOWED_NETWORKS = LOOPBACK
    batch = receive_bucket_import(project, owner, spec(moto_endpoint))

    import_staged_batch(batch)

    assert BucketSource.objects.get(batch=batch).mode == BucketMode.COPY
    assert not project.images.filter(file="").exists()
    assert not project.images.filter(bucket_source__isnull=False).exists()


def test_the_image_view_reads_the_picture_from_the_bucket(client: Client, owner, referenced):
    client.force_login(owner)
    red = red_image(referenced.project)

    response = client.get(file_url(red))
    thumbnail = client.get(reverse("image-thumbnail", args=[red.project_id, red.pk]))

    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response.getvalue() == RED
    assert thumbnail.status_code == 200 and thumbnail["Content-Type"] == "image/jpeg"


def test_the_training_cache_decodes_the_pictures_from_the_bucket(project, referenced, cache_folder):
    cache = build_image_cache(project.pk, 4)

    top_left = np.load(cache.images_path)[:, :, 0, 0].tolist()

    # In key order: big.png (copied), deeper/green.png and red.png (both read from the bucket)
    assert top_left == [[1, 2, 3], [0, 255, 0], [255, 0, 0]]


def test_a_deleted_object_is_named_by_the_image_view(
    client: Client, owner, referenced, moto_endpoint
):
    client.force_login(owner)
    s3_client(moto_endpoint).delete_object(Bucket="photos", Key="set1/red.png")
    red = red_image(referenced.project)

    response = client.get(file_url(red))

    assert response.status_code == 404 and response["Cache-Control"] == "no-store"
    assert response.content.decode() == (
        f"Image {red.pk} (set1/red.png) cannot be read from s3://photos/set1/red.png: "
        "the object is no longer in the bucket (NoSuchKey)."
    )


def test_a_deleted_object_fails_the_cache_with_its_name_and_leaves_no_partial_set(
    project, referenced, moto_endpoint, cache_folder
):
    s3_client(moto_endpoint).delete_object(Bucket="photos", Key="set1/red.png")

    with pytest.raises(ImageGone, match=r"\(set1/red.png\) .* no longer in the bucket"):
        build_image_cache(project.pk, 4)

    assert [path.name for path in cache_folder.rglob("*.npy")] == []
    assert project.images.count() == 3


def test_an_object_changed_since_the_import_is_refused(
    client: Client, owner, referenced, moto_endpoint
):
    client.force_login(owner)
    s3_client(moto_endpoint).put_object(Bucket="photos", Key="set1/red.png", Body=b"other bytes")

    response = client.get(file_url(red_image(referenced.project)))

    assert response.status_code == 404
    assert "s3://photos/set1/red.png has changed since it was imported" in response.content.decode()


def test_an_unreachable_bucket_is_a_clear_503(client: Client, owner, referenced):
    client.force_login(owner)
    BucketSource.objects.update(endpoint_url=f"http://127.0.0.1:{free_port()}")

    response = client.get(file_url(red_image(referenced.project)))

    assert response.status_code == 503
    assert "(set1/red.png) cannot be read from s3://photos/set1/red.png: Could not connect" in (
        response.content.decode()
    )


def test_running_the_import_again_adds_no_duplicates(project, owner, referenced, moto_endpoint):
    import_staged_batch(referenced)  # as when the job is retried after a crash
    again = receive_bucket_import(project, owner, spec(moto_endpoint, mode=BucketMode.REFERENCE))
    import_staged_batch(again)

    again.refresh_from_db()
    assert project.images.count() == 3
    assert (again.added, again.duplicates) == (0, 3)
    assert [entry["status"] for entry in report_by_name(referenced).values()].count("added") == 3
    assert BucketSource.objects.get(batch=again).secret_access_key == ""  # nothing reads it


def test_the_imagenet_zip_holds_the_picture_read_from_the_bucket(project, classes, referenced):
    red = red_image(project)
    Image.objects.filter(pk=red.pk).update(current_label=classes["cat"])

    archive = zipfile.ZipFile(io.BytesIO(b"".join(imagenet_zip_chunks(project))))

    assert archive.namelist() == [f"cat/{red.pk}-red.png"]
    assert archive.read(f"cat/{red.pk}-red.png") == RED


def test_a_backup_holds_the_pictures_and_restores_them_as_copies(
    project, referenced, tmp_path: Path
):
    backup = tmp_path / "project.zip"
    call_command("export_project", project.pk, backup)
    with zipfile.ZipFile(backup) as archive:
        contents = b"".join(archive.read(name) for name in archive.namelist())
    project.delete()

    call_command("import_project", backup)

    restored = Image.objects.get(original_name="set1/red.png")
    assert SECRET.encode() not in contents
    assert restored.bucket_source is None and restored.file.read() == RED
