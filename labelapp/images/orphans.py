"""Find and remove media files that no row refers to.

The importer never leaves such files behind when it stops with an error, and a rerun
adopts the files of a job that was killed (their names come from the content hash). What
remains is a job killed for good (power loss, SIGKILL past its last attempt), or a staging
folder whose batch row was deleted outside the app. Files younger than ``min_age`` are
left alone, since an import may be writing them right now.
"""

from collections.abc import Iterator
from datetime import datetime, timedelta

from django.core.files.storage import default_storage
from django.utils import timezone

from labelapp.images.models import Image, UploadBatch

MEDIA_FOLDERS = ("images", "thumbnails")


def find_orphan_files(min_age: timedelta = timedelta(hours=1)) -> Iterator[str]:
    """Storage names under images/, thumbnails/ and uploads/ that no row refers to."""
    cutoff = timezone.now() - min_age
    for folder in MEDIA_FOLDERS:
        field = "file" if folder == "images" else "thumbnail"
        for project_folder in _folders(folder):
            used = set(
                Image.objects.filter(project_id=_number(project_folder)).values_list(
                    field, flat=True
                )
            )
            for name in _files_below(project_folder):
                if name not in used and _older_than(name, cutoff):
                    yield name
    for batch_folder in _folders("uploads"):
        batch = UploadBatch.objects.filter(pk=_number(batch_folder)).first()
        staged = {entry.get("path") for entry in batch.staged_files} if batch else set()
        for name in _files_below(batch_folder):
            if name not in staged and _older_than(name, cutoff):
                yield name


def remove_orphan_files(min_age: timedelta = timedelta(hours=1)) -> list[str]:
    """Delete every orphan file; returns their names."""
    removed = list(find_orphan_files(min_age))
    for name in removed:
        default_storage.delete(name)
    return removed


def _folders(parent: str) -> list[str]:
    if not default_storage.exists(parent):
        return []
    folders, _ = default_storage.listdir(parent)
    return [f"{parent}/{folder}" for folder in folders if folder.isdigit()]


def _files_below(folder: str) -> Iterator[str]:
    folders, files = default_storage.listdir(folder)
    for file_name in files:
        yield f"{folder}/{file_name}"
    for subfolder in folders:
        yield from _files_below(f"{folder}/{subfolder}")


def _number(folder: str) -> int:
    return int(folder.rsplit("/", 1)[-1])


def _older_than(name: str, cutoff: datetime) -> bool:
    return default_storage.get_modified_time(name) < cutoff
