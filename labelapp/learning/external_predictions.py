"""Predictions from a model outside labelapp, stored as a classifier version of its own.

The version has no trained weights: its file holds the probabilities it was given (the
same ``image_ids`` and ``probabilities`` arrays a trained classifier stores), and its
config says where they came from (``"method": "external"``, ``"source": <name>``). Made
current, it is what the accept page, the filters and the label-next queue read, exactly
like a classifier trained here; training again makes a new current version as usual.
Predictions never count as labels until a person accepts them.
"""

import io
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.core.files.base import ContentFile
from django.db import transaction

from labelapp.images.label_import import ImageFinder
from labelapp.learning.models import ModelKind, ModelVersion, Prediction
from labelapp.learning.predicting import write_predictions
from labelapp.learning.versions import create_version
from labelapp.projects.models import Project

MAX_PROBLEMS_LISTED = 500


@dataclass(frozen=True)
class PredictionRow:
    row: int
    kind: str  # how ``key`` names the image: "id", "hash" or "name"
    key: str
    probabilities: dict[str, float]  # class name -> probability


@dataclass
class PredictionReport:
    version: ModelVersion | None = None
    stored: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)
    problem_count: int = 0

    def problem(self, row: int, message: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS_LISTED:
            self.problems.append({"row": row, "message": message})


def store_external_predictions(
    project: Project, source: str, rows: list[PredictionRow], make_current: bool = True
) -> PredictionReport:
    """Check every row, store the valid ones as a new classifier version, and (by default)
    make it current. Rows with an unknown image or class, or probabilities that are
    negative or all zero, are reported and skipped; the others are scaled to sum to 1.
    Nothing is stored when no row is valid."""
    classes = list(project.classes.order_by("position", "id"))
    column_of = {label_class.name.casefold(): index for index, label_class in enumerate(classes)}
    report = PredictionReport()
    finders: dict[str, ImageFinder] = {}
    chosen: dict[int, np.ndarray] = {}
    for row in rows:
        if row.kind not in finders:
            finders[row.kind] = ImageFinder(project, row.kind)  # one scan of the images
        image_id, problem = finders[row.kind].find(row.key)
        vector = _vector(row.probabilities, column_of)
        if image_id is None:
            report.problem(row.row, problem)
        elif isinstance(vector, str):
            report.problem(row.row, vector)
        elif image_id in chosen:
            report.problem(row.row, "This image already has a prediction in this request.")
        else:
            chosen[image_id] = vector
    if chosen:
        report.version = _store(project, source, classes, chosen, make_current)
        report.stored = len(chosen)
    return report


def _vector(probabilities: dict[str, float], column_of: dict[str, int]) -> np.ndarray | str:
    vector = np.zeros(len(column_of))
    for name, value in probabilities.items():
        column = column_of.get(name.strip().casefold())
        if column is None:
            return f"There is no class named {name!r}."
        if not math.isfinite(value) or value < 0:
            return f"The probability of {name!r} must be a number from 0 to 1."
        vector[column] = value
    total = vector.sum()
    if total <= 0:
        return "The probabilities are all zero."
    scaled: np.ndarray = vector / total
    return scaled


def _store(
    project: Project,
    source: str,
    classes: list[Any],
    chosen: dict[int, np.ndarray],
    make_current: bool,
) -> ModelVersion:
    image_ids = np.array(sorted(chosen), dtype=np.int64)
    probabilities = np.stack([chosen[int(image_id)] for image_id in image_ids])
    buffer = io.BytesIO()
    np.savez(buffer, image_ids=image_ids, probabilities=probabilities)
    class_ids = [label_class.pk for label_class in classes]
    config = {
        "method": "external",
        "source": source,
        "classes": class_ids,
        "class_names": [label_class.name for label_class in classes],
    }
    version = create_version(
        project,
        ModelKind.CLASSIFIER,
        None,
        config=config,
        metrics={"predictions": len(image_ids)},
        files={"weights": ("external-predictions.npz", ContentFile(buffer.getvalue()))},
    )
    try:
        with transaction.atomic():
            write_predictions(version, image_ids, probabilities, class_ids)
            if make_current:
                Project.objects.filter(pk=project.pk).update(current_classifier=version)
    except BaseException:
        Prediction.objects.filter(model_version=version).delete()
        version.delete()
        raise
    return version
