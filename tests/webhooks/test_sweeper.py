"""The worker's sweeper sends a retry the broker could not take only once its backoff is
over: a broker outage does not shorten the wait between attempts."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from labelapp.celery_app import app
from labelapp.webhooks.models import Delivery, DeliveryStatus, Event, Webhook
from workers.tasks import sweep


def take_queued_messages() -> int:
    """Empty the broker's default queue (the real Redis); returns how many it held."""
    with app.connection_for_write() as connection:
        return int(connection.default_channel.queue_purge("default") or 0)


@pytest.fixture
def empty_queue() -> Iterator[None]:
    take_queued_messages()
    yield
    take_queued_messages()


def test_the_sweeper_sends_a_retry_only_after_its_backoff(hook: Webhook, settings, empty_queue):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 60
    # given a second attempt that failed 100 s ago, whose retry the broker could not take:
    # it is due 120 s after that attempt began
    failed_at = timezone.now() - timedelta(seconds=100)
    delivery = Delivery.objects.create(
        webhook=hook, event=Event.JOB_FINISHED, attempts=2, last_attempt_at=failed_at,
        error="The receiver answered 503.",
    )  # fmt: skip

    # when the sweeper runs before then, it leaves it waiting
    sweep()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.sent_at) == (DeliveryStatus.PENDING, None)
    assert take_queued_messages() == 0

    # when it runs once the backoff is over, it sends it
    Delivery.objects.update(last_attempt_at=failed_at - timedelta(seconds=21))
    sweep()
    delivery.refresh_from_db()
    assert delivery.sent_at is not None
    assert take_queued_messages() == 1
