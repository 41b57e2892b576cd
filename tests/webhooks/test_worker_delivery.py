"""A real worker delivers a webhook call, retrying after the receiver failed once."""

import time

from django.db import transaction

from labelapp.webhooks.events import emit
from labelapp.webhooks.models import Delivery, DeliveryStatus, Event
from tests.fixtures.http_server import Answer, LocalServer


def test_the_worker_retries_with_a_delay_until_delivered(
    start_worker, team, hook, local_server: LocalServer
):
    start_worker(
        queues="default",
        extra_env={"OUTBOUND_ALLOWED_NETWORKS": "127.0.0.1/32", "WEBHOOK_RETRY_BASE_SECONDS": "1"},
    )
    local_server.answers["/hook"] = [Answer(503), Answer(200)]
    sent_at: list[float] = []

    with transaction.atomic():
        emit(team.project.pk, Event.MODEL_VERSION_CREATED, {"model_version": 7})
    deadline = time.monotonic() + 60
    delivery = Delivery.objects.get()
    while delivery.status == DeliveryStatus.PENDING and time.monotonic() < deadline:
        time.sleep(0.2)
        delivery.refresh_from_db()
        sent_at += [time.monotonic()] * (len(local_server.requests) - len(sent_at))

    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert len(local_server.requests) == 2
    assert sent_at[1] - sent_at[0] >= 0.8  # the retry waited (1 s, polled every 0.2 s)
