"""A worker killed in the middle of a URL import: another finishes it, nothing twice."""

import io
import os
import signal

import pytest

from labelapp.images.models import Image
from labelapp.images.remote_import import receive_url_list
from labelapp.jobs.models import JobStatus
from tests.fixtures.http_server import Answer, LocalServer
from tests.images.conftest import picture_bytes
from tests.images.test_worker_crash import wait_for_images
from tests.jobs.helpers import wait_until_finished

PICTURES = 30
WORKER_ENV = {"JOB_HEARTBEAT_TIMEOUT_SECONDS": "6", "OUTBOUND_ALLOWED_NETWORKS": "127.0.0.1/32"}


@pytest.mark.slow  # two worker start-ups and a heartbeat timeout
def test_url_import_killed_mid_way_is_finished_by_another_worker(
    start_worker, project, owner, local_server: LocalServer
):
    for index in range(PICTURES):
        picture = picture_bytes((index, 100, 200))
        local_server.answers[f"/{index}.png"] = Answer(body=picture, delay=0.1)
    urls = "\n".join(local_server.url(f"/{index}.png") for index in range(PICTURES))
    doomed = start_worker(queues="default", extra_env=WORKER_ENV)

    batch = receive_url_list(project, owner, io.BytesIO(urls.encode()))
    wait_for_images(project, 3)
    os.kill(doomed.pid, signal.SIGKILL)
    imported_before_the_kill = Image.objects.filter(project=project).count()
    start_worker(queues="default", extra_env=WORKER_ENV)
    job = wait_until_finished(batch.job_id, timeout=180.0)

    assert imported_before_the_kill < PICTURES
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert (job.attempts, job.result["added"], job.result["duplicate"]) == (2, PICTURES, 0)
    assert Image.objects.filter(project=project).count() == PICTURES
