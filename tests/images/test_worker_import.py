"""An upload is imported by a real worker process, which reports progress on the job."""

from labelapp.images.uploads import receive_upload
from labelapp.jobs.models import Job, JobKind, JobStatus
from tests.images.conftest import picture_bytes, uploaded, zip_bytes
from tests.jobs.helpers import wait_until_finished


def test_worker_imports_an_upload(start_worker, project, owner):
    start_worker(queues="default")
    files = [
        uploaded("red.png", picture_bytes((255, 0, 0))),
        uploaded("more.zip", zip_bytes({"a.png": picture_bytes((0, 0, 1)), "b.txt": b"hello"})),
    ]

    batch = receive_upload(project, owner, files)
    job = wait_until_finished(batch.job_id, timeout=120.0)

    assert job.status == JobStatus.SUCCEEDED, job.error
    embed = Job.objects.get(pk=job.result.pop("embed_job"))  # queued for the new images
    assert job.result == {"batch_id": batch.pk, "added": 2, "duplicate": 0, "rejected": 1,
                          "outcome": "2 images added, 1 refused"}  # fmt: skip
    assert embed.kind == JobKind.EMBED
    batch.refresh_from_db()
    assert [entry["status"] for entry in batch.report] == ["added", "added", "rejected"]
    assert project.images.count() == 2
