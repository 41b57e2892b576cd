"""A project as plain data keyed by natural keys (class names, image hashes, version
numbers), so a project and its imported copy compare equal although every id differs."""

import hashlib
import io
from typing import Any

import numpy as np
from django.db.models.fields.files import FieldFile

from labelapp.images.models import Image, Label, UploadBatch
from labelapp.insights.models import KeptLabel
from labelapp.learning.models import ModelVersion, Prediction, QueueItem
from labelapp.projects.models import Project


def _file_digest(stored: FieldFile) -> str | None:
    if not stored:
        return None
    with stored.open("rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def _representations(version: ModelVersion, hashes: dict[int, str]) -> Any:
    if not version.representations:
        return None
    with version.representations.open("rb") as handle:
        stored = np.load(io.BytesIO(handle.read()))
        return [hashes[int(i)] for i in stored["image_ids"]], stored["representations"].tolist()


def _username(user: Any) -> str | None:
    return user.username if user else None


def snapshot(project: Project) -> dict[str, Any]:
    names = {c.pk: c.name for c in project.classes.all()}
    images = list(Image.objects.filter(project=project))
    hashes = {image.pk: image.content_hash for image in images}
    versions = {v.pk: (v.kind, v.number) for v in project.model_versions.all()}
    return {
        "project": (project.name, project.description, project.created_at),
        "current": (
            versions.get(project.current_classifier_id or 0),
            versions.get(project.current_encoder_id or 0),
        ),
        "classes": [(c.name, c.color, c.key, c.position) for c in project.classes.all()],
        "members": sorted((m.user.username, m.role) for m in project.memberships.all()),
        "batches": [
            (b.report, b.added, b.duplicates, b.rejected, b.created_at, b.created_by_id)
            for b in UploadBatch.objects.filter(project=project).order_by("created_at")
        ],
        "images": [
            (
                i.content_hash,
                i.width,
                i.height,
                i.format,
                i.original_name,
                i.created_at,
                names.get(i.current_label_id or 0),
                i.label_version,
                _file_digest(i.file),
                _file_digest(i.thumbnail),
                i.batch.report if i.batch else None,
            )
            for i in images
        ],
        "labels": [
            (
                hashes[label.image_id],
                names.get(label.label_class_id or 0),
                label.user_id,
                label.created_at,
                label.source,
                versions.get(label.model_version_id or 0),
                label.picked_by,
            )
            for label in Label.objects.filter(image__project=project)
        ],
        "versions": [
            (
                v.kind,
                v.number,
                versions.get(v.encoder_id or 0),
                v.metrics,
                v.created_at,
                [names[c] for c in v.config.get("classes", [])],
                _file_digest(v.weights),
                _representations(v, hashes),
            )
            for v in ModelVersion.objects.filter(project=project).order_by("kind", "number")
        ],
        "predictions": sorted(
            (
                hashes[p.image_id],
                versions[p.model_version_id],
                names[p.predicted_class_id],
                sorted((names[int(k)], v) for k, v in p.probabilities.items()),
                p.confidence,
                p.margin,
                p.entropy,
            )
            for p in Prediction.objects.filter(model_version__project=project)
        ),
        "queue": [
            (hashes[q.image_id], q.rank, q.strategy, q.score, q.reason, q.created_at)
            for q in QueueItem.objects.filter(project=project)
        ],
        "kept_labels": sorted(
            (hashes[k.image_id], k.label_version, _username(k.user), k.created_at)
            for k in KeptLabel.objects.filter(image__project=project)
        ),
    }
