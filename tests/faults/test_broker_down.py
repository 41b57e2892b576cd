"""A job or a webhook call made while the broker is down is not lost: it waits, unsent,
and a worker sends it once the broker is back. So does a webhook retry that the broker,
gone down during the attempt, could not take."""

import os
import subprocess
import sys
import time
from pathlib import Path

from django.utils import timezone
from kombu import Connection

from labelapp.celery_app import DELIVER_WEBHOOK_TASK, app
from labelapp.jobs.models import Job, JobStatus
from labelapp.webhooks.models import Delivery, DeliveryStatus, Event, Webhook
from tests.faults.test_faults import DONE
from tests.fixtures import workers
from tests.fixtures.http_server import Answer, LocalServer
from tests.fixtures.redis_server import PrivateRedis
from tests.jobs.helpers import wait_for, wait_until
from tests.web.people import team  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
MAKE_WHILE_DOWN = """
import django
django.setup()
from labelapp.jobs import services
from labelapp.webhooks.events import emit
job = services.enqueue_job("selfcheck")
emit({project}, "model_version.created", {{"model_version": 7}})
print(job.pk)
"""


def test_a_job_and_a_webhook_made_while_the_broker_is_down_run_when_it_is_back(
    start_worker,
    team,  # noqa: F811
    local_server: LocalServer,
    tmp_path: Path,
) -> None:
    broker = PrivateRedis(tmp_path)  # not started: the web process cannot reach it
    local_server.answers["/hook"] = [Answer(200)]
    Webhook.objects.create(
        project=team.project, url=local_server.url("/hook"), secret="s", events=Event.values
    )
    # given a job and a webhook call made by a web process whose broker is down
    made = subprocess.run(
        [sys.executable, "-c", MAKE_WHILE_DOWN.format(project=team.project.pk)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "DATABASE_URL": workers.test_database_url(),
             "CELERY_BROKER_URL": broker.url},
    )  # fmt: skip
    assert made.returncode == 0, made.stderr  # the request did not fail
    job = Job.objects.get(pk=int(made.stdout.split()[-1]))
    assert (job.status, job.sent_at) == (JobStatus.QUEUED, None)
    assert "cannot be reached" in job.message
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.sent_at) == (DeliveryStatus.PENDING, None)

    # when the broker is back and a worker runs
    broker.start()
    try:
        start_worker(
            queues="default",
            extra_env={"CELERY_BROKER_URL": broker.url, "JOB_HEARTBEAT_TIMEOUT_SECONDS": "8",
                       "OUTBOUND_ALLOWED_NETWORKS": "127.0.0.1/32"},
            wait=False,  # it answers pings on its own broker
        )  # fmt: skip
        # then its sweeper sends both, and both are done
        assert wait_for(job, DONE, 90).status == JobStatus.SUCCEEDED
        assert Job.objects.get(pk=job.pk).sent_at is not None
        for _ in range(300):
            delivery.refresh_from_db()
            if delivery.status != DeliveryStatus.PENDING:
                break
            time.sleep(0.2)
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 1)
        assert len(local_server.requests) == 1
    finally:
        broker.stop()


def test_a_retry_the_broker_could_not_take_is_sent_when_it_is_back(
    start_worker,
    team,  # noqa: F811
    local_server: LocalServer,
    private_redis: PrivateRedis,
) -> None:
    # given a delivery the broker took, whose first attempt the receiver answers slowly, 500
    local_server.answers["/hook"] = [Answer(500, delay=3), Answer(200)]
    webhook = Webhook.objects.create(
        project=team.project, url=local_server.url("/hook"), secret="s", events=Event.values
    )
    delivery = Delivery.objects.create(
        webhook=webhook, event=Event.JOB_FINISHED, payload={}, sent_at=timezone.now()
    )
    start_worker(
        queues="default",
        extra_env={"CELERY_BROKER_URL": private_redis.url, "JOB_HEARTBEAT_TIMEOUT_SECONDS": "8",
                   "OUTBOUND_ALLOWED_NETWORKS": "127.0.0.1/32", "WEBHOOK_RETRY_BASE_SECONDS": "1"},
        wait=False,  # it answers pings on its own broker
    )  # fmt: skip
    with Connection(private_redis.url) as broker:
        app.send_task(DELIVER_WEBHOOK_TASK, (delivery.pk,), queue="default", connection=broker)
    assert wait_until(lambda: len(local_server.requests) == 1, 90)

    # when the broker goes down during that attempt, so the retry cannot be handed to it
    private_redis.stop()
    assert wait_until(lambda: Delivery.objects.get(pk=delivery.pk).error != "", 30)
    time.sleep(5)  # the worker tries to hand the broker the retry, and its sweeper to resend
    private_redis.start()

    # then the worker's sweeper sends it once the broker is back, and it is called once more
    assert wait_until(
        lambda: Delivery.objects.get(pk=delivery.pk).status != DeliveryStatus.PENDING, 90
    )
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert len(local_server.requests) == 2
