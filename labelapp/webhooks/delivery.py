"""One attempt to deliver a webhook call: sign the body, POST it, record what happened.

The receiver checks ``X-Labelapp-Signature: sha256=<hex>``, the HMAC-SHA256 of
``<X-Labelapp-Timestamp>.<body>`` keyed with the webhook's secret, and may refuse old
timestamps to stop replays. A failed attempt is retried after 1, 2, 4… times
``WEBHOOK_RETRY_BASE_SECONDS`` until ``WEBHOOK_MAX_ATTEMPTS`` have been made.
"""

import hashlib
import hmac
import json
import time

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import F
from django.utils import timezone

from labelapp.outbound import OutboundRefused, post
from labelapp.webhooks.models import Delivery, DeliveryStatus

TIMEOUT_SECONDS = 10.0


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def attempt_delivery(delivery_id: int) -> float | None:
    """Make one attempt; returns the seconds to wait before the next, or None when done."""
    started = Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING).update(
        attempts=F("attempts") + 1, last_attempt_at=timezone.now()
    )
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


def _failed(delivery: Delivery, status: int | None, error: str) -> float | None:
    give_up = delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED if give_up else DeliveryStatus.PENDING,
        response_status=status,
        error=error[:500],
        sent_at=None,  # the broker's message is used up; the retry is not sent yet
    )
    if give_up:
        return None
    return float(settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (delivery.attempts - 1))
