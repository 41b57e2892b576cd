"""Where files to import come from: the upload staging area, or a folder on the server.

Both give the importer the same thing, a ``SourceFile`` it can open as a binary stream,
so an upload and ``manage.py import_folder`` go through exactly the same validation.
"""

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from django.core.files.storage import default_storage

from labelapp.images.models import BucketSource, UploadBatch


@dataclass(frozen=True)
class ObjectReference:
    """Where a picture left in a bucket lives: the import's BucketSource and the key."""

    bucket_source_id: int
    key: str


@dataclass(frozen=True)
class SourceFile:
    name: str  # as the person knows it: "holiday.zip", "cats/1.jpg"
    size: int
    open: Callable[[], AbstractContextManager[IO[bytes]]]
    reference: ObjectReference | None = None  # set when the picture stays where it is


class SourceUnavailable(Exception):
    """One source cannot be read (a 404, an unreachable host); ``str(error)`` says why."""


@dataclass(frozen=True)
class RefusedFile:
    name: str
    message: str


def staging_folder(batch_id: int) -> str:
    return f"uploads/{batch_id}"


def staged_sources(batch: UploadBatch) -> Iterator[SourceFile | RefusedFile]:
    """The batch's files in upload order, including those refused at upload time."""
    for entry in batch.staged_files:
        name = str(entry.get("name", ""))
        path = entry.get("path")
        if entry.get("url"):
            continue  # read by labelapp/images/remote_sources.py
        if not path:
            yield RefusedFile(name, str(entry.get("message", "Refused at upload.")))
        elif not default_storage.exists(path):
            yield RefusedFile(name, "The uploaded file is no longer in the staging area.")
        else:
            yield SourceFile(name, default_storage.size(path), _storage_opener(path))


def delete_staged_files(batch: UploadBatch) -> None:
    """Remove the staged files, and forget a bucket import's secret unless some picture is
    left in that bucket (a reference import) and so still read with it."""
    unused = BucketSource.objects.filter(batch=batch).exclude(images__isnull=False)
    unused.update(secret_access_key="")
    for entry in batch.staged_files:
        path = entry.get("path")
        if path:
            default_storage.delete(path)


def folder_sources(folder: Path) -> Iterator[SourceFile | RefusedFile]:
    """Every regular file under ``folder``, sorted; symbolic links are refused, not followed."""
    for directory, subdirectories, files in os.walk(folder, followlinks=False):
        subdirectories.sort()
        for file_name in sorted(files):
            path = Path(directory) / file_name
            name = path.relative_to(folder).as_posix()
            if path.is_symlink():
                yield RefusedFile(name, "Symbolic links are not followed; skipped.")
            elif path.is_file():
                yield SourceFile(name, path.stat().st_size, _path_opener(path))
            else:
                yield RefusedFile(name, "Not a regular file; skipped.")


def _storage_opener(path: str) -> Callable[[], AbstractContextManager[IO[bytes]]]:
    def open_staged() -> AbstractContextManager[IO[bytes]]:
        return cast(AbstractContextManager[IO[bytes]], default_storage.open(path, "rb"))

    return open_staged


def _path_opener(path: Path) -> Callable[[], AbstractContextManager[IO[bytes]]]:
    def open_path() -> AbstractContextManager[IO[bytes]]:
        stream: Any = path.open("rb")
        return cast(AbstractContextManager[IO[bytes]], stream)

    return open_path
