"""Importing the objects under a bucket's prefix (moto in server mode on loopback)."""

from pathlib import Path

import pytest

from labelapp.images.importing import import_staged_batch
from labelapp.images.models import BucketSource
from labelapp.images.remote_import import receive_bucket_import
from labelapp.images.remote_sources import BucketUnavailable
from labelapp.jobs.models import JobStatus
from tests.fixtures.workers import free_port
from tests.images.buckets import LOOPBACK, SECRET, spec
from tests.images.conftest import picture_bytes, report_by_name, upload_and_import, uploaded
from tests.jobs.helpers import wait_until_finished


def test_objects_under_the_prefix_are_copied_with_a_report(project, owner, settings, moto_endpoint):
    settings.OUTBOUND_ALLOWED_NETWORKS = LOOPBACK
    settings.IMPORT_MAX_FILE_BYTES = 100_000
    batch = receive_bucket_import(project, owner, spec(moto_endpoint))

    import_staged_batch(batch)

    report = report_by_name(batch)
    assert sorted(report) == [
        "set1/big.png",
        "set1/deeper/green.png",
        "set1/notes.txt",
        "set1/red.png",
    ]
    assert report["set1/red.png"]["status"] == report["set1/deeper/green.png"]["status"] == "added"
    assert "the limit for one image" in report["set1/big.png"]["message"]
    assert report["set1/notes.txt"]["status"] == "rejected"
    assert project.images.count() == 2
    assert BucketSource.objects.get(batch=batch).secret_access_key == ""  # forgotten


def test_an_unreachable_bucket_fails_the_import_and_keeps_what_was_there(project, owner, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = LOOPBACK
    upload_and_import(project, owner, [uploaded("kept.png", picture_bytes())])
    batch = receive_bucket_import(project, owner, spec(f"http://127.0.0.1:{free_port()}"))

    with pytest.raises(BucketUnavailable, match="The bucket cannot be read: Could not connect"):
        import_staged_batch(batch)

    assert project.images.count() == 1


def test_a_missing_bucket_is_named(project, owner, settings, moto_endpoint):
    settings.OUTBOUND_ALLOWED_NETWORKS = LOOPBACK
    batch = receive_bucket_import(project, owner, spec(moto_endpoint, bucket="nope"))

    with pytest.raises(BucketUnavailable, match="there is no such bucket"):
        import_staged_batch(batch)


def test_an_endpoint_in_the_private_network_is_refused(project, owner, moto_endpoint):
    batch = receive_bucket_import(project, owner, spec(moto_endpoint))

    with pytest.raises(BucketUnavailable, match=r"The endpoint is refused: .* a loopback address"):
        import_staged_batch(batch)


@pytest.mark.parametrize("mode", ["copy", "reference"])
def test_a_worker_imports_a_bucket_and_never_logs_the_secret(
    start_worker, project, owner, moto_endpoint, tmp_path: Path, mode: str
):
    start_worker(
        queues="default",
        extra_env={"OUTBOUND_ALLOWED_NETWORKS": "127.0.0.1/32", "LOG_LEVEL": "DEBUG"},
    )

    batch = receive_bucket_import(project, owner, spec(moto_endpoint, mode=mode))
    job = wait_until_finished(batch.job_id, timeout=120.0)

    assert job.status == JobStatus.SUCCEEDED, job.error
    assert (job.result["added"], job.result["rejected"], job.progress) == (3, 1, 1.0)
    left_in_bucket = {
        image.original_name for image in project.images.all() if image.bucket_source_id
    }
    # set1/big.png is a BMP: the importer converts it, so it is stored in either mode
    assert left_in_bucket == (
        set() if mode == "copy" else {"set1/red.png", "set1/deeper/green.png"}
    )
    logs = b"".join(path.read_bytes() for path in tmp_path.glob("*.log"))
    assert b"set1/red.png" in logs or b"labelapp.run_job" in logs  # the log was written
    assert SECRET.encode() not in logs
    assert SECRET not in str(job.params) + job.error + str(job.result)
