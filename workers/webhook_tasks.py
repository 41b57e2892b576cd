"""The Celery task that delivers webhook calls (labelapp/webhooks/delivery.py)."""

from labelapp.celery_app import DELIVER_WEBHOOK_TASK, app
from labelapp.webhooks.delivery import attempt_delivery
from labelapp.webhooks.events import send_delivery


@app.task(name=DELIVER_WEBHOOK_TASK)
def deliver_webhook(delivery_id: int) -> None:
    """Attempt the delivery; a failure is sent again with exponential backoff, by the
    worker's sweeper if the broker cannot take it now."""
    delay = attempt_delivery(delivery_id)
    if delay is not None:
        send_delivery(delivery_id, countdown=delay)
