"""A webhook call whose worker is SIGKILLed during the attempt is not lost: the attempt
counts as failed, and another worker's sweeper sends the retry."""

import os
import signal
from datetime import timedelta

from django.db import transaction
from django.db.models import F

from labelapp.webhooks.delivery import LOST_AFTER_SECONDS
from labelapp.webhooks.events import emit
from labelapp.webhooks.models import Delivery, DeliveryStatus, Event, Webhook
from tests.fixtures.http_server import Answer, LocalServer
from tests.jobs.helpers import wait_until
from tests.web.people import team  # noqa: F401

WORKER_ENV = {
    "JOB_HEARTBEAT_TIMEOUT_SECONDS": "8",  # the sweeper runs every 2 s
    "OUTBOUND_ALLOWED_NETWORKS": "127.0.0.1/32",
    "WEBHOOK_RETRY_BASE_SECONDS": "1",
}


def test_a_delivery_whose_worker_was_killed_mid_attempt_is_sent_again(
    start_worker,
    team,  # noqa: F811
    local_server: LocalServer,
) -> None:
    # given a worker attempting a delivery, whose receiver takes its time to answer
    local_server.answers["/hook"] = [Answer(200, delay=8), Answer(200)]
    Webhook.objects.create(
        project=team.project, url=local_server.url("/hook"), secret="s", events=Event.values
    )
    doomed = start_worker(queues="default", extra_env=WORKER_ENV)
    with transaction.atomic():
        emit(team.project.pk, Event.MODEL_VERSION_CREATED, {"model_version": 7})
    assert wait_until(lambda: len(local_server.requests) == 1, 60)

    # when the worker is killed during the attempt, which began longer ago than any lasts
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait(30)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert delivery.sent_at is not None  # handed to the broker, whose message is used up
    long_ago = timedelta(seconds=LOST_AFTER_SECONDS + 1)
    Delivery.objects.update(
        sent_at=F("sent_at") - long_ago, last_attempt_at=F("last_attempt_at") - long_ago
    )

    # then another worker's sweeper sends it again, and it is delivered
    start_worker(queues="default", extra_env=WORKER_ENV)
    assert wait_until(lambda: Delivery.objects.get().status != DeliveryStatus.PENDING, 60)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert len(local_server.requests) == 2
