"""One attempt to deliver a webhook call: sign the body, POST it, record what happened.

The receiver checks ``X-Labelapp-Signature: sha256=<hex>``, the HMAC-SHA256 of
``<X-Labelapp-Timestamp>.<body>`` keyed with the webhook's secret, and may refuse old
timestamps to stop replays. A failed attempt is retried after 1, 2, 4… times
``WEBHOOK_RETRY_BASE_SECONDS`` until ``WEBHOOK_MAX_ATTEMPTS`` have been made. An attempt
whose worker was killed during it counts as failed (:func:`fail_lost_attempt`).
"""

import hashlib
import hmac
import json
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import F
from django.db.models.functions import Now
from django.utils import timezone

from labelapp.outbound import OutboundRefused, post
from labelapp.webhooks.models import Delivery, DeliveryStatus

TIMEOUT_SECONDS = 10.0
# An attempt that began this long ago (many times its HTTP timeout) died with its worker.
LOST_AFTER_SECONDS = 30 * TIMEOUT_SECONDS


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def attempt_delivery(delivery_id: int) -> float | None:
    """Make one attempt; returns the seconds to wait before the next, or None when done."""
    started = Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING).update(
        attempts=F("attempts") + 1, last_attempt_at=Now()
    )  # the database's clock, as for sent_at: an attempt began after its message was sent
    if not started:
        return None  # delivered or given up already (a message delivered twice)
    delivery = Delivery.objects.select_related("webhook").get(pk=delivery_id)
    body = json.dumps(
        {
            "event": delivery.event,
            "delivery": delivery.pk,
            "project": delivery.webhook.project_id,
            "created_at": delivery.created_at,
            "data": delivery.payload,
        },
        cls=DjangoJSONEncoder,
    ).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Labelapp-Event": delivery.event,
        "X-Labelapp-Delivery": str(delivery.pk),
        "X-Labelapp-Timestamp": timestamp,
        "X-Labelapp-Signature": signature(delivery.webhook.secret, timestamp, body),
    }
    try:
        status = post(delivery.webhook.url, body, headers, TIMEOUT_SECONDS)
    except OutboundRefused as refusal:
        return _failed(delivery, None, str(refusal))
    if 200 <= status < 300:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.DELIVERED, response_status=status, error="",
            delivered_at=timezone.now(),
        )  # fmt: skip
        return None
    return _failed(delivery, status, f"The receiver answered {status}.")


def retry_delay(attempts: int) -> float:
    """Seconds to wait after the failed attempt number ``attempts`` (1, 2, …)."""
    return float(settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempts - 1))


def next_attempt_at(delivery: Delivery) -> datetime:
    """When the delivery's next attempt is due: at once if none was made, else after the
    backoff of the last one."""
    if delivery.last_attempt_at is None:
        return delivery.created_at
    return delivery.last_attempt_at + timedelta(seconds=retry_delay(delivery.attempts))


def fail_lost_attempt(delivery: Delivery) -> None:
    """Count as failed an attempt whose worker was lost (killed, out of memory) during it.
    Its message is used up (a killed worker's comes back only after the broker's visibility
    timeout, hours later), so the retry is left unsent, for the worker's sweeper to send
    after its backoff."""
    _failed(delivery, None, "The worker making this attempt was lost.")


def _failed(delivery: Delivery, status: int | None, error: str) -> float | None:
    give_up = delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS
    # Only while this attempt is still the delivery's latest: two sweepers taking back the
    # same lost attempt must not undo a retry that one of them has sent since.
    recorded = Delivery.objects.filter(
        pk=delivery.pk,
        status=DeliveryStatus.PENDING,
        sent_at=delivery.sent_at,
        last_attempt_at=delivery.last_attempt_at,
    ).update(
        status=DeliveryStatus.FAILED if give_up else DeliveryStatus.PENDING,
        response_status=status,
        error=error[:500],
        sent_at=None,  # the broker's message is used up; the retry is not sent yet
    )
    if give_up or not recorded:
        return None
    return retry_delay(delivery.attempts)
