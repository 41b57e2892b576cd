"""Receive uploaded files: stage them, and start the job that imports them.

This is the function the upload page and the API call::

    batch = receive_upload(project, request.user, request.FILES.getlist("files"))
    # batch.job is the "import" Job to watch; batch.report fills in as it runs.

Django caps a request at ``DATA_UPLOAD_MAX_NUMBER_FILES`` (100) files, so a browser that
uploads a folder sends it in several requests: each becomes its own batch.
"""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from labelapp.images.archives import is_zip
from labelapp.images.file_names import safe_file_name
from labelapp.images.models import UploadBatch
from labelapp.images.sources import staging_folder
from labelapp.jobs.models import JobKind
from labelapp.jobs.services import enqueue_job
from labelapp.projects.models import Project

STAGED_NAME_LENGTH = 80


class UploadRejected(Exception):
    """Nothing in the upload can be imported; ``str(error)`` says why, for a person."""


def receive_upload(
    project: Project,
    user: Any,
    files: Iterable[UploadedFile[bytes]],
    labels_from_folders: bool = False,
) -> UploadBatch:
    """Stage the files under ``uploads/<batch id>/`` and enqueue the batch's import job.

    Files that are empty or over the size limit (``IMPORT_MAX_FILE_BYTES`` for an image,
    ``IMPORT_MAX_ARCHIVE_BYTES`` for a zip) are refused at once and appear in the report as
    "rejected". Everything else is checked by the job. Raises UploadRejected, leaving no
    batch, job or staged file behind, when no file at all can be accepted.
    """
    files = list(files)
    if not files:
        raise UploadRejected("No files were received. Choose images or a zip archive to upload.")
    staged_paths: list[str] = []
    try:
        with transaction.atomic():
            batch = UploadBatch.objects.create(
                project=project, created_by=user, labels_from_folders=labels_from_folders
            )
            entries = [_stage(batch, index, file, staged_paths) for index, file in enumerate(files)]
            if not staged_paths:
                raise UploadRejected(_nothing_accepted(entries))
            batch.staged_files = entries
            # Refusals are in the report at once; the import job rebuilds it in full.
            batch.report = [
                {"name": entry["name"], "status": "rejected", "message": entry["message"]}
                for entry in entries
                if "message" in entry
            ]
            batch.rejected = len(batch.report)
            # The job is sent to the broker only once this transaction has committed.
            batch.job = enqueue_job(JobKind.IMPORT, project, user, batch_id=batch.pk)
            batch.save(update_fields=["staged_files", "report", "rejected", "job"])
    except BaseException:
        for path in staged_paths:
            default_storage.delete(path)
        raise
    return batch


def _stage(
    batch: UploadBatch, index: int, file: UploadedFile[bytes], staged_paths: list[str]
) -> dict[str, str]:
    name = (file.name or f"file {index + 1}")[-500:]
    refusal = _size_refusal(file)
    if refusal:
        return {"name": name, "message": refusal}
    safe_name = safe_file_name(name.rsplit("/", 1)[-1], "file", STAGED_NAME_LENGTH)
    file.seek(0)
    path = default_storage.save(f"{staging_folder(batch.pk)}/{index}-{safe_name}", file)
    staged_paths.append(path)
    return {"name": name, "path": path}


def _size_refusal(file: UploadedFile[bytes]) -> str:
    size = file.size or 0
    if size == 0:
        return "The file is empty."
    file.seek(0)
    head = file.read(4)
    if is_zip(head):
        limit, what = settings.IMPORT_MAX_ARCHIVE_BYTES, "a zip archive"
    else:
        limit, what = settings.IMPORT_MAX_FILE_BYTES, "one image"
    if size > limit:
        return f"The file is {_megabytes(size)}; the limit for {what} is {_megabytes(limit)}."
    return ""


def _nothing_accepted(entries: list[dict[str, str]]) -> str:
    reasons = "; ".join(f"{entry['name']}: {entry['message']}" for entry in entries[:5])
    more = f" (and {len(entries) - 5} more)" if len(entries) > 5 else ""
    return f"None of the files can be imported. {reasons}{more}"


def _megabytes(size: int) -> str:
    return f"{size / 1024**2:,.1f} MB"
