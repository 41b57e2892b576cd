"""Celery workers: thin tasks that load rows, call simclr_core, and write rows."""
