"""What ``celery -A workers.celery_app worker`` loads: labelapp's Celery app and its task."""

from labelapp.celery_app import app

app.autodiscover_tasks(["workers"], related_name="tasks")

__all__ = ["app"]
