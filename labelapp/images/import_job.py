"""The "import" job: import the files an upload staged (see importing.py)."""

from typing import Any

from labelapp.images.importing import ADDED, DUPLICATE, REJECTED, import_staged_batch
from labelapp.images.models import UploadBatch
from labelapp.images.sources import delete_staged_files
from labelapp.jobs.context import JobCancelled, JobContext
from labelapp.learning.embedding import schedule_embedding


def run_import(context: JobContext) -> dict[str, Any]:
    batch = UploadBatch.objects.get(pk=context.job.params["batch_id"])
    try:
        context.progress(0.0, "Importing")
        report = import_staged_batch(batch, context.progress)
    except JobCancelled:
        # What was imported stays (each image is complete); the rest is dropped.
        delete_staged_files(batch)
        raise
    result = {"batch_id": batch.pk, **report.as_result()}
    added, duplicate, rejected = (report.counts[key] for key in (ADDED, DUPLICATE, REJECTED))
    parts = [f"{added:,} image{'s' * (added != 1)} added"]
    parts += [f"{duplicate:,} already here"] if duplicate else []
    parts += [f"{rejected:,} refused"] if rejected else []
    result["outcome"] = ", ".join(parts)
    if added:
        embed = schedule_embedding(batch.project, context.job.created_by)
        result["embed_job"] = embed.pk if embed is not None else None
    return result
