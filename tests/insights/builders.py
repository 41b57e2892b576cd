"""Model versions with small synthetic npz files, as the learning jobs would store them."""

from typing import Any

import numpy as np

from labelapp.images.labeling import set_label
from labelapp.images.models import Image
from labelapp.learning.models import ModelKind, ModelVersion
from labelapp.learning.training import _classifier_file
from labelapp.learning.versions import create_version, representations_file
from labelapp.projects.models import LabelClass, Project
from tests.web.people import Team, make_images


def make_encoder(
    project: Project, images: list[Image], representations: np.ndarray
) -> ModelVersion:
    image_ids = np.array([image.pk for image in images], dtype=np.int64)
    stored = representations_file(image_ids, representations.astype(np.float32))
    version = create_version(
        project, ModelKind.ENCODER, None, config={}, metrics={},
        files={"representations": ("representations.npz", stored)},
    )  # fmt: skip
    project.current_encoder = version
    project.save(update_fields=["current_encoder"])
    return version


def label_images(images: list[Image], label_class: LabelClass, user: Any) -> None:
    for image in images:
        set_label(image, label_class, user, image.label_version)


def nine_labeled_images(team: Team) -> tuple[list[Image], list[int]]:
    """Nine images of the team's project, three labeled with each of its three classes;
    returns the images and their class positions."""
    images = make_images(team.project, 9)
    for position, label_class in enumerate(team.classes):
        label_images(images[3 * position : 3 * position + 3], label_class, team.owner)
    return images, [0, 0, 0, 1, 1, 1, 2, 2, 2]


def quality_metrics(accuracy: float, label_count: int, classes: int = 3) -> dict[str, Any]:
    confusion = np.eye(classes, dtype=int) * (label_count // classes)
    confusion[0, 1] = 2
    return {
        "accuracy": accuracy,
        "per_class_accuracy": [0.8, 0.95, None][:classes],
        "confusion_matrix": confusion.tolist(),
        "expected_calibration_error": 0.0421,
        "method": "linear_probe",
        "cross_validated_accuracy": {
            "linear_probe": accuracy,
            "label_propagation": accuracy - 0.05,
        },
        "folds": 5,
        "labels": label_count,
    }


def make_classifier(
    project: Project,
    all_images: list[Image],
    labeled: list[Image],
    labels: list[int],
    out_of_fold: np.ndarray,
    metrics: dict[str, Any] | None = None,
    make_current: bool = True,
) -> ModelVersion:
    """A classifier version: ``labels`` are positions into the project's classes."""
    classes = list(project.classes.order_by("position", "id"))
    image_ids = np.array([image.pk for image in all_images], dtype=np.int64)
    position = {image.pk: index for index, image in enumerate(all_images)}
    result = {
        "probabilities": np.full((len(all_images), len(classes)), 1 / len(classes), np.float32),
        "out_of_fold": out_of_fold.astype(np.float32),
        "labeled_indices": np.array([position[image.pk] for image in labeled], dtype=np.int64),
        "labels": np.array(labels, dtype=np.int64),
    }
    version = create_version(
        project, ModelKind.CLASSIFIER, None,
        config={"method": "linear_probe", "classes": [c.pk for c in classes],
                "class_names": [c.name for c in classes]},
        metrics=quality_metrics(0.9, len(labeled), len(classes)) if metrics is None else metrics,
        files={"weights": ("classifier.npz", _classifier_file(image_ids, result))},
    )  # fmt: skip
    if make_current:
        project.current_classifier = version
        project.save(update_fields=["current_classifier"])
    return version
