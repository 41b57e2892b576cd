"""The Celery task that delivers webhook calls (labelapp/webhooks/delivery.py)."""

from celery import Task

from labelapp.celery_app import DELIVER_WEBHOOK_TASK, app
from labelapp.webhooks.delivery import attempt_delivery


@app.task(name=DELIVER_WEBHOOK_TASK, bind=True, max_retries=None)
def deliver_webhook(self: Task, delivery_id: int) -> None:
    """Attempt the delivery; a failure is retried with exponential backoff."""
    delay = attempt_delivery(delivery_id)
    if delay is not None:
        raise self.retry(countdown=delay)
