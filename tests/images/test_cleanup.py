"""Deleting rows deletes their files once the deletion has committed."""

from django.core.files.storage import default_storage

from labelapp.images.models import Image
from labelapp.images.uploads import receive_upload
from tests.images.conftest import picture_bytes, uploaded


def test_deleting_an_image_deletes_its_files(three_images, django_capture_on_commit_callbacks):
    red = three_images[0]

    with django_capture_on_commit_callbacks(execute=True):
        red.delete()

    assert not default_storage.exists(red.file.name)
    assert not default_storage.exists(red.thumbnail.name)
    assert default_storage.exists(three_images[1].file.name)


def test_deleting_a_project_deletes_every_image_file(
    project, three_images, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        project.delete()

    assert not Image.objects.exists()
    assert not any(default_storage.exists(image.file.name) for image in three_images)


def test_deleting_an_unimported_batch_deletes_its_staged_files(
    project, owner, django_capture_on_commit_callbacks
):
    batch = receive_upload(project, owner, [uploaded("a.png", picture_bytes())])
    path = batch.staged_files[0]["path"]

    with django_capture_on_commit_callbacks(execute=True):
        batch.delete()

    assert not default_storage.exists(path)
