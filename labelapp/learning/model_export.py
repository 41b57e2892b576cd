"""The classifier files a train job exports (TorchScript and ONNX), kept with its version.

The train child writes them (workers/classifier_export.py: torch stays in the worker); the
worker stores them beside the version's other files and describes them in
``version.config["export"]``; the web serves them and the predict endpoint runs the ONNX one.
"""

from typing import Any

from django.core.files.storage import default_storage

from labelapp.jobs.models import Job
from labelapp.learning.child_jobs import work_directory
from labelapp.learning.embedding import materialize_encoder
from labelapp.learning.models import ModelVersion
from labelapp.learning.versions import open_local

FORMATS = ("torchscript", "onnx")


class NoExport(LookupError):
    """The classifier has no such file; ``str(error)`` says why, for a person."""


def export_spec(job: Job, encoder: ModelVersion) -> dict[str, str | int]:
    """What the train child needs to export its classifier (see training_process)."""
    return {
        "export_dir": str(work_directory(job) / "export"),
        "encoder_dir": str(materialize_encoder(job, encoder)),
        "image_size": int(encoder.config.get("image_size", 32)),
    }


def store_exports(job: Job, described: dict[str, Any]) -> dict[str, Any]:
    """Save the child's files into the media storage; the description names them there."""
    if not described.get("files"):
        return described
    assert job.project is not None
    directory = work_directory(job) / "export"
    stored: dict[str, str] = {}
    try:
        for format_name, file_name in described["files"].items():
            target = f"models/exports/project-{job.project.pk}/job-{job.pk}-{file_name}"
            stored[format_name] = default_storage.save(target, open_local(directory / file_name))
    except BaseException:
        remove_exports({"files": stored})
        raise
    return {**described, "files": stored}


def remove_exports(described: dict[str, Any]) -> None:
    for name in (described.get("files") or {}).values():
        default_storage.delete(name)


def export_file(version: ModelVersion, format_name: str) -> str:
    """The storage name of one exported file; raises NoExport with the reason."""
    described = version.config.get("export") or {}
    name = (described.get("files") or {}).get(format_name)
    if name:
        return str(name)
    if described.get("error"):
        raise NoExport(f"Exporting {version} failed ({described['error']}); retrain to try again.")
    raise NoExport(f"{version} was trained before classifiers were exported; retrain it.")


def read_export(name: str) -> bytes:
    with default_storage.open(name, "rb") as stored:
        data: bytes = stored.read()
    return data
