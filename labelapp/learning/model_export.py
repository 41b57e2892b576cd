"""The classifier files a train job exports (TorchScript and ONNX), kept with its version.

The train child process writes them (labelapp/learning/classifier_export.py: torch stays out
of the web); the worker stores them beside the version's other files and describes them in
``version.config["export"]``; the web serves them and the predict endpoint runs the ONNX one.
"""

from functools import partial
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction

from labelapp.jobs.models import Job
from labelapp.learning.child_jobs import work_directory
from labelapp.learning.embedding import materialize_encoder
from labelapp.learning.models import ModelKind, ModelVersion
from labelapp.learning.versions import open_local

FORMATS = ("torchscript", "onnx")
PRUNED = {"pruned": True}  # the description left on a version whose files were deleted


class NoExport(LookupError):
    """The classifier has no such file; ``str(error)`` says why, for a person."""


def export_spec(job: Job, encoder: ModelVersion) -> dict[str, str | int]:
    """What the train child needs to export its classifier (see training_process); nothing
    for an encoder stored without its network (only representations), which cannot be."""
    if not encoder.weights or "pretrain" not in encoder.config:
        return {}
    return {
        "export_dir": str(work_directory(job) / "export"),
        "encoder_dir": str(materialize_encoder(job, encoder)),
        "image_size": int(encoder.config.get("image_size", 32)),
    }


def store_exports(job: Job, described: dict[str, Any]) -> dict[str, Any]:
    """Save the child's files into the media storage; the description names them there."""
    if not described:
        return {"error": "its encoder was stored without its network"}
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


def prune_exports(version: ModelVersion) -> None:
    """Keep exported files (about 27 MB a version on the default backbone) only for the
    project's current classifier and the newest one, ``version``: the ones served."""
    project = version.project
    project.refresh_from_db(fields=["current_classifier"])
    older = (
        ModelVersion.objects.filter(project=project, kind=ModelKind.CLASSIFIER)
        .exclude(pk__in=[version.pk, project.current_classifier_id or 0])
        .filter(config__export__files__isnull=False)
    )
    for old in older:
        files = old.config["export"]
        ModelVersion.objects.filter(pk=old.pk).update(config={**old.config, "export": PRUNED})
        transaction.on_commit(partial(remove_exports, files))


def export_file(version: ModelVersion, format_name: str) -> str:
    """The storage name of one exported file; raises NoExport with the reason."""
    described = version.config.get("export") or {}
    name = (described.get("files") or {}).get(format_name)
    if name:
        return str(name)
    if described.get("pruned"):
        raise NoExport(
            f"The files of {version} were deleted when newer classifiers were trained (only "
            "the current and the newest keep theirs); retrain to export it again."
        )
    if described.get("error"):
        raise NoExport(f"Exporting {version} failed ({described['error']}); retrain to try again.")
    raise NoExport(f"{version} was trained before classifiers were exported; retrain it.")


def read_export(name: str) -> bytes:
    with default_storage.open(name, "rb") as stored:
        data: bytes = stored.read()
    return data
