"""A job that proves a worker can reach the database, the media storage and torch."""

import platform
from typing import Any

import torch
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from labelapp.jobs.context import JobContext


def run_selfcheck(context: JobContext) -> dict[str, Any]:
    context.progress(0.1, "Checking media storage")
    probe_name = default_storage.save(f"selfcheck/job-{context.job.pk}.txt", ContentFile(b"ok"))
    with default_storage.open(probe_name) as probe:
        storage_ok = probe.read() == b"ok"
    default_storage.delete(probe_name)
    context.progress(0.6, "Checking torch")
    tensor_sum = float(torch.arange(4, dtype=torch.float32, device=context.device).sum())
    return {
        "storage_ok": storage_ok,
        "torch_version": torch.__version__,
        "torch_ok": tensor_sum == 6.0,
        "device": context.device,
        "python": platform.python_version(),
        "echo": context.job.params.get("echo"),
    }
