"""Giving images labels without ever overwriting someone else's change silently.

Every change is a conditional UPDATE on ``Image.label_version`` (the version the person
saw) plus a new ``Label`` history row, in one transaction. A stale version raises
``LabelConflict`` carrying the image as it is now.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Count, F, Max, Q, QuerySet

from labelapp.images.label_sources import check_picked_by, person_label_counts
from labelapp.images.models import Image, Label, LabelSource
from labelapp.learning.models import ModelVersion, Prediction
from labelapp.projects.models import LabelClass, Project
from labelapp.webhooks import events as webhook_events


class LabelConflict(Exception):
    """Someone changed the image's label since the version the caller saw."""

    def __init__(self, image: Image) -> None:
        self.image = image
        now = image.current_label.name if image.current_label else "no label"
        super().__init__(
            f"Changed since you loaded it (in another tab, or by someone else): now {now}."
        )


def set_label(
    image: Image,
    label_class: LabelClass | None,
    user: Any,
    expected_version: int,
    source: str = LabelSource.PERSON,
    model_version: ModelVersion | None = None,
    picked_by: str = "",
) -> Image:
    """Give ``image`` the class (None clears it) if its label is still ``expected_version``.

    ``picked_by`` is the "Label next" strategy that offered the image to the person, as the
    page they labeled it on showed it ("" when they found it themselves): the queue may have
    been rebuilt since, so it is not looked up here. Only a person's label keeps it.
    """
    if label_class is not None and label_class.project_id != image.project_id:
        raise ValueError("That class belongs to another project.")
    check_picked_by(picked_by)
    if label_class is None or source != LabelSource.PERSON:
        picked_by = ""
    with transaction.atomic():
        updated = Image.objects.filter(pk=image.pk, label_version=expected_version).update(
            current_label=label_class, label_version=F("label_version") + 1
        )
        if not updated:
            raise LabelConflict(Image.objects.select_related("current_label").get(pk=image.pk))
        Label.objects.create(
            image_id=image.pk,
            label_class=label_class,
            user=user,
            source=source,
            model_version=model_version,
            picked_by=picked_by,
        )
        webhook_events.labels_changed(image.project_id, [image.pk], source)
    image.current_label = label_class
    image.label_version = expected_version + 1
    return image


PREVIEW_THRESHOLDS = (0.3, 0.5, 0.7, 0.9, 0.95, 0.99)


@dataclass(frozen=True)
class ClassTaken:
    """Of the images accepting would label, those that would get one class."""

    class_id: int
    name: str
    images: int
    person_labels: int  # the labels of the class a person gave


@dataclass(frozen=True)
class AcceptancePreview:
    minimum_confidence: float
    count: int
    highest: float | None = None  # the most confident prediction of an unlabeled image
    counts: tuple[tuple[float, int], ...] = ()  # (threshold, images at or above it)
    # of the ``count``, how many to expect right, where the classifier's metrics hold the
    # calibration map of its expected accuracy (see expected_right)
    expected_right: int | None = None
    # of the ``count``, per class they would get, most images first
    by_class: tuple["ClassTaken", ...] = ()

    @property
    def expected_wrong(self) -> int | None:
        return None if self.expected_right is None else self.count - self.expected_right


def acceptable_predictions(project: Project, minimum_confidence: float) -> QuerySet[Prediction]:
    """Predictions of the current classifier for unlabeled images at or above the threshold."""
    return Prediction.objects.filter(
        model_version_id=project.current_classifier_id,
        image__project=project,
        image__current_label__isnull=True,
        confidence__gte=minimum_confidence,
    )


def preview_acceptance(project: Project, minimum_confidence: float) -> AcceptancePreview:
    """How many images the threshold would label, how confidence is spread, how many are
    likely right and which classes they would get."""
    if project.current_classifier_id is None:
        return AcceptancePreview(minimum_confidence, 0)
    counted = {f"at_{index}": Count("pk", filter=Q(confidence__gte=threshold))
               for index, threshold in enumerate(PREVIEW_THRESHOLDS)}  # fmt: skip
    numbers = acceptable_predictions(project, 0.0).aggregate(
        chosen=Count("pk", filter=Q(confidence__gte=minimum_confidence)),
        highest=Max("confidence"),
        **counted,
    )
    counts = tuple(
        (threshold, int(numbers[f"at_{index}"]))
        for index, threshold in enumerate(PREVIEW_THRESHOLDS)
    )
    right = expected_right(project, minimum_confidence)
    return AcceptancePreview(
        minimum_confidence, int(numbers["chosen"]), numbers["highest"], counts, right,
        _by_class(project, minimum_confidence),
    )  # fmt: skip


def unpredicted_count(project: Project, classifier: ModelVersion) -> int:
    """The project's images without a prediction from ``classifier`` (rows go with their
    images, one per image and version, so a count of the version's rows tells)."""
    return project.images.count() - Prediction.objects.filter(model_version=classifier).count()


def predicted_per_class(project: Project, minimum_confidence: float = 0.0) -> dict[int, int]:
    """How many unlabeled images the current classifier predicts as each class (class id ->
    count), at or above ``minimum_confidence``."""
    return dict(
        acceptable_predictions(project, minimum_confidence)
        .values_list("predicted_class_id").annotate(Count("pk"))
    )  # fmt: skip


def _by_class(project: Project, minimum_confidence: float) -> tuple[ClassTaken, ...]:
    """The images above the threshold per predicted class, most first."""
    taken = predicted_per_class(project, minimum_confidence)
    if not taken:
        return ()
    by_person = person_label_counts(project.pk)
    rows = [ClassTaken(c.pk, c.name, taken[c.pk], by_person[c.pk])
            for c in project.classes.filter(pk__in=taken)]  # fmt: skip
    return tuple(sorted(rows, key=lambda row: -row.images))


def expected_right(project: Project, minimum_confidence: float) -> int | None:
    """How many of the predictions ``accept_predictions`` would take are likely right: the sum
    over them of the chance a prediction that confident is right, by the isotonic map the
    train job calibrated the expected accuracy with (its "calibration_map"). None when the
    classifier has none: too few labels calibrate it yet, or accepted predictions trained it."""
    classifier = project.current_classifier
    knots = (classifier.metrics or {}).get("calibration_map") if classifier else None
    if not (isinstance(knots, list) and len(knots) == 2 and len(knots[0]) == len(knots[1]) > 0):
        return None
    confidences = acceptable_predictions(project, minimum_confidence).values_list(
        "confidence", flat=True
    )
    chances = np.interp(np.fromiter(confidences, float), *np.asarray(knots, dtype=float))
    return round(float(chances.sum()))


def accept_predictions(project: Project, user: Any, minimum_confidence: float) -> int:
    """Label every unlabeled image whose prediction is confident enough; returns how many.

    The rows are locked first, so an image labeled by a person meanwhile is left alone.
    """
    if project.current_classifier_id is None:
        return 0
    with transaction.atomic():
        image_ids = list(
            Image.objects.select_for_update()
            .filter(
                project=project,
                current_label__isnull=True,
                predictions__model_version_id=project.current_classifier_id,
                predictions__confidence__gte=minimum_confidence,
            )
            .values_list("pk", flat=True)
        )
        predictions = Prediction.objects.filter(
            model_version_id=project.current_classifier_id, image_id__in=image_ids
        ).values_list("image_id", "predicted_class_id")
        by_class: dict[int, list[int]] = {}
        for image_id, class_id in predictions:
            by_class.setdefault(class_id, []).append(image_id)
        for class_id, ids in by_class.items():
            Image.objects.filter(pk__in=ids).update(
                current_label_id=class_id, label_version=F("label_version") + 1
            )
        Label.objects.bulk_create(
            Label(
                image_id=image_id,
                label_class_id=class_id,
                user=user,
                source=LabelSource.PREDICTION,
                model_version_id=project.current_classifier_id,
            )
            for class_id, ids in by_class.items()
            for image_id in ids
        )
        webhook_events.labels_changed(project.pk, image_ids, LabelSource.PREDICTION)
    return len(image_ids)
