"""A job enqueued by a web request is run by a separate worker process (not eager mode)."""

from django.contrib.auth.models import User
from django.test import Client

from labelapp.jobs.models import Job, JobStatus
from tests.jobs.helpers import wait_until_finished


def test_selfcheck_posted_by_admin_is_run_by_worker_process(start_worker, client: Client) -> None:
    worker = start_worker()
    admin = User.objects.create_superuser("alice", password="correct horse battery")
    client.force_login(admin)

    response = client.post("/system/selfcheck/", {"echo": "hello"})

    assert response.status_code == 202
    job = wait_until_finished(response.json()["id"], timeout=60.0)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.worker == worker.worker_name
    assert job.result["echo"] == "hello"
    assert job.result["storage_ok"] is True
    assert job.device.startswith("cpu")


def test_selfcheck_is_refused_to_non_staff(transactional_db: None, client: Client) -> None:
    client.force_login(User.objects.create_user("bob", password="correct horse battery"))

    response = client.post("/system/selfcheck/")

    assert response.status_code == 302
    assert Job.objects.count() == 0
