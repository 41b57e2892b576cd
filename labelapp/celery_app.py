"""The Celery application; configuration comes from Django settings (``CELERY_*``).

The web process sends jobs with it by task name (it never imports the task), and pings the
workers for ``/healthz``; a worker (``celery -A workers.celery_app``) runs the task.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labelapp.settings")

RUN_JOB_TASK = "labelapp.run_job"  # workers/tasks.py registers the task under this name
DELIVER_WEBHOOK_TASK = "labelapp.deliver_webhook"  # workers/webhook_tasks.py

app = Celery("labelapp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_default_queue="default",
    task_acks_late=True,
    task_reject_on_worker_lost=False,  # lost jobs are requeued by recover_lost_jobs, counted
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)
