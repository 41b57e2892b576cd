"""A job's scratch folder belongs to that job row, not to whichever job had its id before."""

from datetime import UTC, datetime, timedelta

from labelapp.jobs.models import Job, JobKind
from labelapp.learning.child_jobs import work_directory


def test_a_reset_database_never_sends_a_new_job_into_an_old_jobs_folder(settings, tmp_path):
    # given a data folder that outlived its database: job 1 ran, the database was reset
    settings.DATA_DIR = tmp_path
    then = datetime(2026, 11, 1, tzinfo=UTC)
    old = Job(pk=1, kind=JobKind.PRETRAIN, created_at=then)
    old_folder = work_directory(old)
    (old_folder / "checkpoint.pt").write_bytes(b"an old run")
    # when the new database's job 1 asks for its folder
    new = Job(pk=1, kind=JobKind.PRETRAIN, created_at=then + timedelta(days=29))
    # then it gets an empty one of its own, and a retry of the old job finds its checkpoint
    assert work_directory(new) != old_folder
    assert list(work_directory(new).iterdir()) == []
    assert (work_directory(old) / "checkpoint.pt").exists()
