"""The Celery worker: the task that runs a job's handler (from labelapp), its heartbeat, and
the accelerator it trains on. labelapp never imports this package."""
