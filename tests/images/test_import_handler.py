"""The import job's handler: results, and what a cancelled import leaves behind."""

import pytest
from django.core.files.storage import default_storage

from labelapp.images.uploads import receive_upload
from labelapp.jobs.context import JobCancelled, JobContext
from labelapp.jobs.handlers import handler_for
from labelapp.jobs.models import Job
from labelapp.jobs.services import claim_job
from tests.images.conftest import picture_bytes, uploaded


def running_import(project, owner):
    batch = receive_upload(
        project, owner, [uploaded("a.png", picture_bytes()), uploaded("b", b"x")]
    )
    job = claim_job(batch.job_id, worker="test", device="cpu")
    assert job is not None
    return batch, job


def test_handler_returns_the_counts(project, owner):
    batch, job = running_import(project, owner)

    result = handler_for("import")(JobContext(job=job, device="cpu"))

    embed = Job.objects.get(pk=result.pop("embed_job"))  # the new image gets represented
    assert result == {"batch_id": batch.pk, "added": 1, "duplicate": 0, "rejected": 1,
                      "outcome": "1 image added, 1 refused"}  # fmt: skip
    assert embed.kind == "embed" and embed.project == project


def test_cancelled_import_drops_the_staged_files(project, owner):
    batch, job = running_import(project, owner)
    Job.objects.filter(pk=job.pk).update(cancel_requested=True)

    with pytest.raises(JobCancelled):
        handler_for("import")(JobContext(job=job, device="cpu"))

    assert not any(default_storage.exists(entry["path"]) for entry in batch.staged_files)
    assert not project.images.exists()
