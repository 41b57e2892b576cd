"""A worker killed in the middle of an import: another finishes it, nothing half-done."""

import io
import os
import signal
import time
import zipfile
from datetime import timedelta

import numpy
import pytest
from django.core.files.storage import default_storage
from PIL import Image as PillowImage

from labelapp.images.models import Image
from labelapp.images.orphans import find_orphan_files
from labelapp.images.uploads import receive_upload
from labelapp.jobs.models import JobStatus
from tests.images.conftest import uploaded
from tests.jobs.helpers import wait_until_finished

PICTURES = 120
FAST_RECOVERY = {"JOB_HEARTBEAT_TIMEOUT_SECONDS": "6"}


def noise_zip(count: int) -> bytes:
    generator = numpy.random.default_rng(7)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for index in range(count):
            pixels = generator.integers(0, 256, (256, 256, 3), dtype=numpy.uint8)
            picture = io.BytesIO()
            PillowImage.fromarray(pixels).save(picture, "JPEG", quality=90)
            archive.writestr(f"noise/{index:04d}.jpg", picture.getvalue())
    return buffer.getvalue()


def wait_for_images(project, minimum: int, timeout: float = 120.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        count = Image.objects.filter(project=project).count()
        if count >= minimum:
            return count
        time.sleep(0.1)
    raise TimeoutError(f"only {Image.objects.filter(project=project).count()} images")


@pytest.mark.slow  # two worker start-ups and a heartbeat timeout
def test_import_killed_mid_way_is_finished_by_another_worker(start_worker, project, owner):
    doomed = start_worker(queues="default", extra_env=FAST_RECOVERY)
    batch = receive_upload(project, owner, [uploaded("noise.zip", noise_zip(PICTURES))])
    wait_for_images(project, 5)

    os.kill(doomed.pid, signal.SIGKILL)
    imported_before_the_kill = Image.objects.filter(project=project).count()
    start_worker(queues="default", extra_env=FAST_RECOVERY)
    job = wait_until_finished(batch.job_id, timeout=180.0)

    assert imported_before_the_kill < PICTURES
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert (job.attempts, job.result["added"]) == (2, PICTURES)
    images = Image.objects.filter(project=project)
    assert images.count() == PICTURES
    assert all(default_storage.exists(i.file.name) for i in images)
    assert all(default_storage.exists(i.thumbnail.name) for i in images)
    assert list(find_orphan_files(timedelta(0))) == []
