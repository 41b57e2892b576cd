"""The embedding map's data: every embedded image as a point on a 2-D projection.

The projection (PCA, simclr_core.curation.projection_2d) is computed once per representations file
and cached. The points are sent as parallel arrays (ids, x, y, label index, predicted
index, label version) so 100,000 points stay a few megabytes of JSON.
"""

from collections.abc import Mapping
from typing import Any

import numpy as np
from django.urls import reverse

from labelapp.images.models import Image
from labelapp.insights.stored_arrays import (
    READ_ERRORS,
    derived_arrays,
    unreadable,
)
from labelapp.learning.models import ModelVersion, Prediction
from labelapp.learning.versions import load_representations
from labelapp.projects.models import Project
from labelapp.projects.tiles import url_template

NO_CLASS = -1
COORDINATE_DECIMALS = 4


def _projection_of(version: ModelVersion) -> dict[str, np.ndarray]:
    image_ids, representations = load_representations(version)
    from simclr_core.curation.projection_2d import project_to_2d  # loads torch: only when drawn

    return {"image_ids": image_ids.astype(np.int64), "points": project_to_2d(representations)}


def map_classes(project: Project) -> list[dict[str, Any]]:
    return [label_class.as_dict() for label_class in project.classes.order_by("position", "id")]


def _class_indices(
    image_ids: np.ndarray, class_of_image: Mapping[int, int | None], index_of_class: dict[int, int]
) -> list[int]:
    indices = []
    for image_id in image_ids.tolist():
        class_id = class_of_image.get(image_id)
        indices.append(NO_CLASS if class_id is None else index_of_class.get(class_id, NO_CLASS))
    return indices


def map_points(project: Project) -> dict[str, Any]:
    """The map payload; ``points`` is empty (with a ``problem``) before the first embedding."""
    classes = map_classes(project)
    base = {
        "classes": classes,
        "thumbnail_url": url_template("image-thumbnail", project.pk),
        "detail_url": url_template("image-detail", project.pk),
        "label_url": reverse("insights-map-label", kwargs={"project_id": project.pk}),
        "queue_url": reverse("insights-map-queue", kwargs={"project_id": project.pk}),
    }
    empty: dict[str, list[Any]] = {
        "ids": [],
        "x": [],
        "y": [],
        "label": [],
        "predicted": [],
        "versions": [],
    }
    version = project.current_encoder
    if version is None or not version.representations:
        return {**base, **empty, "not_embedded": project.images.count(),
                "problem": "No representations yet: run Embed (or Pretrain) first."}  # fmt: skip
    try:
        stored = derived_arrays("projection", version, lambda: _projection_of(version))
    except READ_ERRORS:
        return {**base, **empty, "not_embedded": project.images.count(),
                "problem": unreadable(version)}  # fmt: skip
    current = {
        image_id: (label_id, label_version)
        for image_id, label_id, label_version in Image.objects.filter(project=project).values_list(
            "id", "current_label_id", "label_version"
        )
    }
    present = np.isin(stored["image_ids"], np.fromiter(current, dtype=np.int64, count=len(current)))
    image_ids = stored["image_ids"][present]
    points = np.round(stored["points"][present].astype(np.float64), COORDINATE_DECIMALS)
    index_of_class = {c["id"]: index for index, c in enumerate(classes)}
    predictions = dict(
        Prediction.objects.filter(model_version_id=project.current_classifier_id).values_list(
            "image_id", "predicted_class_id"
        )
    ) if project.current_classifier_id else {}  # fmt: skip
    labels = {image_id: label_id for image_id, (label_id, _) in current.items()}
    return {
        **base,
        "ids": image_ids.tolist(),
        "x": points[:, 0].tolist(),
        "y": points[:, 1].tolist(),
        "label": _class_indices(image_ids, labels, index_of_class),
        "predicted": _class_indices(image_ids, predictions, index_of_class),
        "versions": [current[int(image_id)][1] for image_id in image_ids.tolist()],
        "not_embedded": len(current) - len(image_ids),
        "problem": "",
    }
