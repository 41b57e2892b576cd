"""A job that reports a fraction but no time left still shows an estimate."""

from datetime import timedelta

import pytest
from django.utils import timezone

from labelapp.jobs.context import JobContext
from labelapp.jobs.models import Job, JobStatus


@pytest.mark.django_db
def test_the_time_left_follows_the_fraction_done() -> None:
    # given an import that has run for 10 seconds
    started = timezone.now() - timedelta(seconds=10)
    job = Job.objects.create(kind="import", status=JobStatus.RUNNING, started_at=started)
    # when it reports a quarter done without an estimate of its own
    JobContext(job=job, device="cpu").progress(0.25, "Importing")
    # then the time left is about three times the time so far
    job.refresh_from_db()
    assert job.eta_seconds == pytest.approx(30, abs=2)


@pytest.mark.django_db
def test_an_estimate_of_its_own_wins() -> None:
    job = Job.objects.create(kind="pretrain", status=JobStatus.RUNNING, started_at=timezone.now())

    JobContext(job=job, device="cpu").progress(0.5, "Epoch 2", eta_seconds=123.0)

    job.refresh_from_db()
    assert job.eta_seconds == 123.0


@pytest.mark.django_db
def test_a_new_step_without_an_estimate_clears_the_last_one() -> None:
    job = Job.objects.create(kind="train", status=JobStatus.RUNNING, started_at=timezone.now())
    context = JobContext(job=job, device="cpu")

    context.progress(0.5, "Cross-validating linear probe: 3/6 fits", eta_seconds=4.0)
    context.progress(None, "Picking the images to label next")

    job.refresh_from_db()
    assert (job.message, job.eta_seconds) == ("Picking the images to label next", None)
