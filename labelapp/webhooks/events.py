"""Telling a project's webhooks that something happened: a Delivery row per webhook, sent
by a Celery task once the transaction that made the change has committed.

Label changes come in bursts (a person labels one image a second, a lasso labels hundreds
one by one), so a "labels.changed" delivery not yet attempted takes in the next change
instead of a new delivery being made: the receiver gets one call listing the images.
"""

import functools
import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils import timezone

from labelapp.webhooks.delivery import LOST_AFTER_SECONDS, fail_lost_attempt, next_attempt_at
from labelapp.webhooks.models import Delivery, DeliveryStatus, Event, Webhook

logger = logging.getLogger(__name__)
MAX_IMAGES_LISTED = 1000


def emit(project_id: int | None, event: str, data: dict[str, Any]) -> None:
    """Make a delivery of ``data`` to each active webhook of the project that wants it."""
    if project_id is None:
        return
    for webhook in Webhook.objects.filter(project_id=project_id, active=True):
        if event not in webhook.events:
            continue
        if event == Event.LABELS_CHANGED and _merge_into_waiting(webhook, data):
            continue
        delivery = Delivery.objects.create(webhook=webhook, event=event, payload=data)
        transaction.on_commit(functools.partial(send_delivery, delivery.pk))


def labels_changed(project_id: int, image_ids: list[int], source: str) -> None:
    if image_ids:
        emit(project_id, Event.LABELS_CHANGED, _labels_data(image_ids, len(image_ids), [source]))


def job_finished(job_id: int) -> None:
    from labelapp.jobs.models import Job

    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.project_id is None:
        return
    data = {
        "job": job.pk,
        "kind": job.kind,
        "status": job.status,
        "error": job.error,
        "result": job.result,
    }
    emit(job.project_id, Event.JOB_FINISHED, data)


def model_version_created(version: Any) -> None:
    config = version.config or {}
    data = {
        "model_version": version.pk,
        "kind": version.kind,
        "number": version.number,
        "method": config.get("method", ""),
        "source": config.get("source", "labelapp"),
    }
    emit(version.project_id, Event.MODEL_VERSION_CREATED, data)


def send_delivery(delivery_id: int, countdown: float | None = None) -> None:
    """Hand the broker the delivery's next attempt, after ``countdown`` seconds.

    Whoever sets ``sent_at`` from None sends it, so two processes never send one delivery
    twice. A broker that cannot be reached leaves it pending and unsent, logged, and a
    worker's sweeper sends it when the broker is back (:func:`send_unsent_deliveries`)."""
    from labelapp.celery_app import DELIVER_WEBHOOK_TASK, app

    claimed = Delivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, sent_at=None
    ).update(sent_at=Now())
    if not claimed:
        return
    try:
        app.send_task(DELIVER_WEBHOOK_TASK, (delivery_id,), queue="default", countdown=countdown)
    except Exception:
        logger.warning("webhook delivery %s could not be queued", delivery_id, exc_info=True)
        Delivery.objects.filter(pk=delivery_id).update(sent_at=None)


def send_unsent_deliveries(older_than_seconds: float = 30.0) -> list[int]:
    """Hand the broker again the pending deliveries it never took (made, or retried after a
    failed attempt, while it was down, or taken back by :func:`recover_lost_deliveries`),
    each once its next attempt is due: a broker outage does not shorten the backoff."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=older_than_seconds)
    unsent = (
        Delivery.objects.filter(status=DeliveryStatus.PENDING, sent_at=None)
        .filter(Q(last_attempt_at__lt=cutoff) | Q(last_attempt_at=None, created_at__lt=cutoff))
        .only("created_at", "attempts", "last_attempt_at")
        .order_by("id")
    )
    due = [delivery.pk for delivery in unsent if next_attempt_at(delivery) <= now]
    for delivery_id in due:
        send_delivery(delivery_id)
    return due


def recover_lost_deliveries() -> list[int]:
    """Take back the deliveries whose attempt began longer ago than any attempt lasts: its
    worker was killed during it. The attempt counts as failed, and the retry is sent by
    :func:`send_unsent_deliveries` after its backoff."""
    cutoff = timezone.now() - timedelta(seconds=LOST_AFTER_SECONDS)
    lost = list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, last_attempt_at__lt=cutoff)
        .filter(last_attempt_at__gte=F("sent_at"))  # its message was taken, and run
        .order_by("id")
    )
    for delivery in lost:
        fail_lost_attempt(delivery)
    return [delivery.pk for delivery in lost]


def _merge_into_waiting(webhook: Webhook, data: dict[str, Any]) -> bool:
    with transaction.atomic():
        waiting = (
            Delivery.objects.select_for_update()
            .filter(webhook=webhook, event=Event.LABELS_CHANGED, status=DeliveryStatus.PENDING)
            .filter(attempts=0)
            .order_by("-id")
            .first()
        )
        if waiting is None:
            return False
        before = waiting.payload
        waiting.payload = _labels_data(
            before.get("images", []) + data["images"],
            int(before.get("count", 0)) + int(data["count"]),
            sorted(set(before.get("sources", [])) | set(data["sources"])),
        )
        waiting.save(update_fields=["payload"])
    return True


def _labels_data(image_ids: list[int], count: int, sources: list[str]) -> dict[str, Any]:
    unique = list(dict.fromkeys(image_ids))
    return {
        "images": unique[:MAX_IMAGES_LISTED],
        "count": count,
        "images_truncated": len(unique) > MAX_IMAGES_LISTED,
        "sources": sources,
    }
