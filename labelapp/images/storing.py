"""Write an accepted picture and its thumbnail, and create its row, all or nothing.

File names come from the project and the content hash, so a job that died between writing
the files and creating the row leaves files that the rerun simply writes again, and two
imports of the same picture can never leave a row pointing at the other's missing file.
A picture left in its bucket (a reference import) gets only its thumbnail written here.
"""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction

from labelapp.images.decoding import DecodedImage
from labelapp.images.models import Image, UploadBatch
from labelapp.images.sources import ObjectReference

ORIGINAL_NAME_LENGTH = 500


class AlreadyStored(Exception):
    """Another import stored the same picture in the project first."""

    def __init__(self, image: Image) -> None:
        super().__init__(f"already stored as image {image.pk}")
        self.image = image


def image_path(project_id: int, content_hash: str, extension: str) -> str:
    return f"images/{project_id}/{content_hash[:2]}/{content_hash}.{extension}"


def thumbnail_path(project_id: int, content_hash: str) -> str:
    return f"thumbnails/{project_id}/{content_hash[:2]}/{content_hash}.jpg"


def store_image(
    batch: UploadBatch,
    original_name: str,
    content_hash: str,
    decoded: DecodedImage,
    reference: ObjectReference | None = None,
) -> Image:
    """Save both files through the storage API, then the row; on failure remove the files.
    With a ``reference`` the picture stays in its bucket and only the thumbnail is saved.

    Raises AlreadyStored when a concurrent import created the same picture first.
    """
    project_id = batch.project_id
    file_name = ""
    if reference is None:
        file_name = _write(
            image_path(project_id, content_hash, decoded.extension), decoded.stored_bytes
        )
    try:
        thumbnail_name = _write(thumbnail_path(project_id, content_hash), decoded.thumbnail_bytes)
    except BaseException:
        _remove_unless_used(project_id, content_hash, [file_name])
        raise
    image = Image(
        project_id=project_id,
        batch=batch,
        content_hash=content_hash,
        width=decoded.width,
        height=decoded.height,
        format=decoded.format,
        original_name=original_name[-ORIGINAL_NAME_LENGTH:],
    )
    if reference is not None:
        image.bucket_source_id = reference.bucket_source_id
        # The size of the bytes hashed, not the listing's: every read checks both.
        image.object_key, image.object_size = reference.key, len(decoded.stored_bytes)
    image.file.name = file_name
    image.thumbnail.name = thumbnail_name
    try:
        with transaction.atomic():
            image.save()
    except IntegrityError:
        existing = Image.objects.filter(project_id=project_id, content_hash=content_hash).first()
        if existing is None:
            _remove_unless_used(project_id, content_hash, [file_name, thumbnail_name])
            raise
        # The same hash gives the same file names: the files now belong to that row.
        raise AlreadyStored(existing) from None
    except BaseException:
        _remove_unless_used(project_id, content_hash, [file_name, thumbnail_name])
        raise
    return image


def _write(name: str, data: bytes) -> str:
    # A file left by a run that died half-way may be incomplete: replace it.
    if default_storage.exists(name):
        default_storage.delete(name)
    return default_storage.save(name, ContentFile(data))


def _remove_unless_used(project_id: int, content_hash: str, names: list[str]) -> None:
    if Image.objects.filter(project_id=project_id, content_hash=content_hash).exists():
        return
    for name in names:
        if name:
            default_storage.delete(name)
