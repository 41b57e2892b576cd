"""An image is stored with both its files and its row, or not at all."""

import pytest
from django.core.files.storage import default_storage

from labelapp.images.decoding import decode_image
from labelapp.images.importing import import_staged_batch
from labelapp.images.models import Image
from labelapp.images.storing import AlreadyStored, image_path, store_image
from labelapp.images.uploads import receive_upload
from tests.images.conftest import picture_bytes, uploaded

RED = picture_bytes((255, 0, 0))


def block_thumbnails(project, settings) -> None:
    """A plain file where the thumbnails folder should be: writing a thumbnail fails."""
    blocker = settings.MEDIA_ROOT / "thumbnails" / str(project.pk)
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_bytes(b"")


def test_failed_thumbnail_write_leaves_neither_row_nor_picture_file(project, owner, settings):
    block_thumbnails(project, settings)
    batch = receive_upload(project, owner, [uploaded("red.png", RED)])

    with pytest.raises(OSError):
        import_staged_batch(batch)

    assert not Image.objects.exists()
    assert not list((settings.MEDIA_ROOT / "images").rglob("*.png"))


def test_import_stopped_by_an_error_can_be_run_again(project, owner, settings):
    block_thumbnails(project, settings)
    batch = receive_upload(project, owner, [uploaded("red.png", RED)])
    with pytest.raises(OSError):
        import_staged_batch(batch)
    (settings.MEDIA_ROOT / "thumbnails" / str(project.pk)).unlink()

    report = import_staged_batch(batch)

    assert report.counts["added"] == 1
    image = Image.objects.get()
    assert default_storage.exists(image.file.name) and default_storage.exists(image.thumbnail.name)
    assert not default_storage.exists(batch.staged_files[0]["path"])


def test_second_store_of_the_same_picture_keeps_the_first_files(project, empty_batch):
    decoded = decode_image(RED, max_pixels=10_000, thumbnail_pixels=32)
    first = store_image(empty_batch, "red.png", "ab" * 32, decoded)

    with pytest.raises(AlreadyStored) as duplicate:
        store_image(empty_batch, "again.png", "ab" * 32, decoded)

    assert duplicate.value.image == first
    assert first.file.name == image_path(project.pk, "ab" * 32, "png")
    assert default_storage.exists(first.file.name)
    assert default_storage.exists(first.thumbnail.name)
