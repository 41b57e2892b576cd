"""What ``celery -A workers.celery_app worker`` loads: labelapp's Celery app and its tasks."""

from labelapp.celery_app import app

app.autodiscover_tasks(["workers"], related_name="tasks")
app.conf.include = ["workers.webhook_tasks"]

__all__ = ["app"]
