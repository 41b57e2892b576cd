"""Files follow their rows: deleting an image (or a whole project) deletes its files.

Deletion waits for the transaction to commit, so a rolled-back delete keeps its files,
and a file is kept when another row of the same project holds the same content again.
"""

from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction

from labelapp.images.models import Image, UploadBatch


def remove_image_files(sender: type[Image], instance: Image, **_: Any) -> None:
    names = [name for name in (instance.file.name, instance.thumbnail.name) if name]
    project_id, content_hash = instance.project_id, instance.content_hash

    def remove() -> None:
        if Image.objects.filter(project_id=project_id, content_hash=content_hash).exists():
            return  # imported again meanwhile: the same names now belong to the new row
        for name in names:
            default_storage.delete(name)

    transaction.on_commit(remove)


def remove_staged_files(sender: type[UploadBatch], instance: UploadBatch, **_: Any) -> None:
    paths = [str(entry["path"]) for entry in instance.staged_files if entry.get("path")]

    def remove() -> None:
        for path in paths:
            default_storage.delete(path)

    transaction.on_commit(remove)
