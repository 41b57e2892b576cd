"""Creating model versions: files first, then one transaction for the rows."""

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import Max

from labelapp.learning.models import ModelKind, ModelVersion
from labelapp.projects.models import Project
from labelapp.webhooks import events as webhook_events


def next_version_number(project: Project, kind: str) -> int:
    current = ModelVersion.objects.filter(project=project, kind=kind).aggregate(Max("number"))
    return int(current["number__max"] or 0) + 1


def representations_file(image_ids: np.ndarray, representations: np.ndarray) -> ContentFile[bytes]:
    buffer = io.BytesIO()
    np.savez(buffer, image_ids=image_ids.astype(np.int64), representations=representations)
    return ContentFile(buffer.getvalue())


def load_representations(version: ModelVersion) -> tuple[np.ndarray, np.ndarray]:
    """(image_ids (N,), representations (N, dim)) stored with an encoder version."""
    with version.representations.open("rb") as stored:
        archive = np.load(io.BytesIO(stored.read()))
        return archive["image_ids"], archive["representations"]


def create_version(
    project: Project,
    kind: str,
    job_id: int | None,
    config: dict[str, Any],
    metrics: dict[str, Any],
    files: dict[str, tuple[str, File[Any] | ContentFile[bytes]]],
    after_create: Callable[[ModelVersion], None] | None = None,
    encoder: ModelVersion | None = None,
) -> ModelVersion:
    """Save the files, then create the row; a failure removes the files again."""
    version = ModelVersion(
        project=project, kind=kind, job_id=job_id, config=config, metrics=metrics, encoder=encoder
    )
    saved: list[str] = []
    try:
        for field_name, (name, content) in files.items():
            getattr(version, field_name).save(name, content, save=False)
            saved.append(field_name)
        with transaction.atomic():
            Project.objects.select_for_update().get(pk=project.pk)  # serialize numbering
            version.number = next_version_number(project, kind)
            version.save()
            if after_create is not None:
                after_create(version)
            webhook_events.model_version_created(version)
    except BaseException:
        for field_name in saved:
            getattr(version, field_name).delete(save=False)
        raise
    return version


def open_local(path: Path) -> File[Any]:
    return File(path.open("rb"), name=path.name)


__all__ = ["ModelKind", "create_version", "load_representations", "open_local"]
