"""Writing one project, with every stored file, into a zip archive.

Rows are written one per line and files are copied in chunks from the storage, so
memory stays flat however many images the project holds. A picture left in its import's
bucket is read from there and written like a stored file, so the archive holds every picture
and a restored project keeps copies (the bucket's keys are never written).
"""

import json
import shutil
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.utils import timezone

from labelapp.backup.archive_format import (
    FILE_FIELDS,
    FORMAT,
    MANIFEST,
    VERSION,
    file_member,
    table_member,
)
from labelapp.images.image_bytes import open_image, stored_extension
from labelapp.images.models import Image, Label, UploadBatch
from labelapp.insights.models import KeptLabel
from labelapp.learning.models import ModelVersion, Prediction, QueueItem
from labelapp.projects.models import LabelClass, Membership, Project

CHUNK_ROWS = 2000


def _iterate(queryset: QuerySet[Any]) -> Iterator[Any]:
    return queryset.order_by("pk").iterator(chunk_size=CHUNK_ROWS)


def _username(user: Any) -> str | None:
    return None if user is None else str(user.get_username())


def _time(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def project_rows(project: Project) -> dict[str, Iterable[dict[str, Any]]]:
    """Each table's rows as JSON-safe dicts, produced lazily."""
    images = Image.objects.filter(project=project)
    versions = ModelVersion.objects.filter(project=project)
    return {
        "project": [
            {
                "id": project.pk,
                "name": project.name,
                "description": project.description,
                "created_by": _username(project.created_by),
                "created_at": _time(project.created_at),
                "current_classifier": project.current_classifier_id,
                "current_encoder": project.current_encoder_id,
            }
        ],
        "classes": (
            {"id": c.pk, "name": c.name, "color": c.color, "key": c.key, "position": c.position}
            for c in _iterate(LabelClass.objects.filter(project=project))
        ),
        "members": (
            {"username": _username(m.user), "role": m.role}
            for m in _iterate(Membership.objects.filter(project=project).select_related("user"))
        ),
        "batches": (
            {
                "id": b.pk,
                "created_by": _username(b.created_by),
                "created_at": _time(b.created_at),
                "report": b.report,
                "added": b.added,
                "duplicates": b.duplicates,
                "rejected": b.rejected,
            }
            for b in _iterate(
                UploadBatch.objects.filter(project=project).select_related("created_by")
            )
        ),
        "images": (
            {
                "id": i.pk,
                "batch": i.batch_id,
                "file": bool(i.file) or i.bucket_source_id is not None,
                "file_name": Path(i.file.name).name or f"{i.content_hash}.{stored_extension(i)}",
                "thumbnail": bool(i.thumbnail),
                "thumbnail_name": Path(i.thumbnail.name).name if i.thumbnail else "",
                "content_hash": i.content_hash,
                "width": i.width,
                "height": i.height,
                "format": i.format,
                "original_name": i.original_name,
                "created_at": _time(i.created_at),
                "current_label": i.current_label_id,
                "label_version": i.label_version,
            }
            for i in _iterate(images)
        ),
        "labels": (
            {
                "id": label.pk,
                "image": label.image_id,
                "label_class": label.label_class_id,
                "user": _username(label.user),
                "created_at": _time(label.created_at),
                "source": label.source,
                "model_version": label.model_version_id,
                "picked_by": label.picked_by,
            }
            for label in _iterate(
                Label.objects.filter(image__project=project).select_related("user")
            )
        ),
        "model_versions": (
            {
                "id": v.pk,
                "kind": v.kind,
                "number": v.number,
                "encoder": v.encoder_id,
                "config": v.config,
                "metrics": v.metrics,
                "weights": bool(v.weights),
                "weights_name": Path(v.weights.name).name if v.weights else "",
                "representations": bool(v.representations),
                "created_at": _time(v.created_at),
            }
            for v in _iterate(versions)
        ),
        "predictions": (
            {
                "image": p.image_id,
                "model_version": p.model_version_id,
                "probabilities": p.probabilities,
                "predicted_class": p.predicted_class_id,
                "confidence": p.confidence,
                "margin": p.margin,
                "entropy": p.entropy,
            }
            for p in _iterate(Prediction.objects.filter(model_version__project=project))
        ),
        "queue": (
            {
                "image": q.image_id,
                "rank": q.rank,
                "strategy": q.strategy,
                "score": q.score,
                "reason": q.reason,
                "created_at": _time(q.created_at),
            }
            for q in _iterate(QueueItem.objects.filter(project=project))
        ),
        "kept_labels": (
            {
                "image": kept.image_id,
                "label_version": kept.label_version,
                "user": _username(kept.user),
                "created_at": _time(kept.created_at),
            }
            for kept in _iterate(
                KeptLabel.objects.filter(image__project=project).select_related("user")
            )
        ),
    }


def _write_table(archive: zipfile.ZipFile, table: str, rows: Iterable[dict[str, Any]]) -> int:
    count = 0
    with archive.open(table_member(table), "w") as member:
        for row in rows:
            member.write(json.dumps(row, separators=(",", ":")).encode("utf-8") + b"\n")
            count += 1
    return count


def _write_file(archive: zipfile.ZipFile, member_name: str, source: IO[bytes]) -> None:
    with source, archive.open(member_name, "w", force_zip64=True) as member:
        shutil.copyfileobj(source, member, length=1024 * 1024)


def _write_files(archive: zipfile.ZipFile, table: str, queryset: QuerySet[Any]) -> None:
    for row in _iterate(queryset):
        for field in FILE_FIELDS[table]:
            member = file_member(table, row.pk, field)
            if table == "images" and field == "file":
                if row.file or row.bucket_source_id is not None:
                    _write_file(archive, member, open_image(row))  # wherever the bytes live
                continue
            stored = getattr(row, field)
            if stored:
                _write_file(archive, member, default_storage.open(stored.name, "rb"))


def export_project(project: Project, destination: Path) -> dict[str, int]:
    """Writes the archive (replacing ``destination``); returns the row count per table."""
    counts: dict[str, int] = {}
    partial = destination.with_name(destination.name + ".partial")
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for table, rows in project_rows(project).items():
                counts[table] = _write_table(archive, table, rows)
            images = Image.objects.filter(project=project).select_related("bucket_source")
            _write_files(archive, "images", images)
            _write_files(archive, "model_versions", ModelVersion.objects.filter(project=project))
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "exported_at": timezone.now().isoformat(),
                "counts": counts,
            }
            archive.writestr(MANIFEST, json.dumps(manifest, indent=2))
        partial.replace(destination)
    finally:
        partial.unlink(missing_ok=True)
    return counts


__all__ = ["export_project"]
