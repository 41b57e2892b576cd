"""The filters of the labeling page and the image list of the API.

Every filter is a plain column comparison on ``Image`` or on the current classifier's
``Prediction`` (joined once through a FilteredRelation), so the database can use the
(project, current_label) and (model_version, confidence) indexes.
"""

from dataclasses import dataclass, fields
from typing import Any

from django.db.models import F, FilteredRelation, Q, QuerySet

from labelapp.ids import parse_id
from labelapp.images.label_sources import newest_source
from labelapp.images.models import Image, LabelSource
from labelapp.projects.models import Project

STATUSES = ("", "unlabeled", "labeled", "accepted")


class FilterError(ValueError):
    pass


@dataclass(frozen=True)
class ImageFilter:
    status: str = ""  # "", "unlabeled", "labeled", "accepted" (an accepted prediction)
    label: int | None = None  # current label class id
    predicted: int | None = None  # predicted class id (current classifier)
    min_confidence: float | None = None
    max_confidence: float | None = None
    disagree: bool = False  # prediction differs from the person's label

    @property
    def uses_prediction(self) -> bool:
        return (
            self.predicted is not None
            or self.min_confidence is not None
            or self.max_confidence is not None
            or self.disagree
        )

    def as_query(self) -> dict[str, str]:
        """The non-empty filters as query-string values (for pagination links)."""
        query = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if value not in (None, "", False):
                query[field.name] = "1" if value is True else str(value)
        return query


def _optional_id(raw: str, name: str) -> int | None:
    if raw.strip() == "":
        return None
    value = parse_id(raw.strip())
    if value is None:
        raise FilterError(f"'{name}' must be a class id (a whole number).")
    return value


def _optional_fraction(raw: str, name: str) -> float | None:
    if raw.strip() == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise FilterError(f"'{name}' must be a number between 0 and 1.") from None
    if not 0.0 <= value <= 1.0:
        raise FilterError(f"'{name}' must be between 0 and 1.")
    return value


def parse_filter(params: Any) -> ImageFilter:
    """An ImageFilter from query parameters; raises FilterError with a readable message."""
    status = params.get("status", "")
    if status not in STATUSES:
        raise FilterError("'status' must be 'labeled', 'unlabeled' or 'accepted'.")
    return ImageFilter(
        status=status,
        label=_optional_id(params.get("label", ""), "label"),
        predicted=_optional_id(params.get("predicted", ""), "predicted"),
        min_confidence=_optional_fraction(params.get("min_confidence", ""), "min_confidence"),
        max_confidence=_optional_fraction(params.get("max_confidence", ""), "max_confidence"),
        disagree=params.get("disagree", "") in ("1", "true", "on"),
    )


def grid_order(image_filter: ImageFilter) -> tuple[str, ...]:
    """The labeling page's order: the images predicted as a class surest first (a person
    looking for examples of it finds them there), else upload order."""
    if image_filter.predicted is not None:
        return ("-current_prediction__confidence", "id")
    return ("id",)


def filter_images(project: Project, image_filter: ImageFilter) -> QuerySet[Image]:
    images = Image.objects.filter(project=project)
    if image_filter.status == "unlabeled":
        images = images.filter(current_label__isnull=True)
    elif image_filter.status == "labeled":
        images = images.filter(current_label__isnull=False)
    elif image_filter.status == "accepted":  # labels nobody checked: worth a look
        images = images.filter(current_label__isnull=False).annotate(source=newest_source())
        images = images.filter(source=LabelSource.PREDICTION)
    if image_filter.label is not None:
        images = images.filter(current_label_id=image_filter.label)
    if not image_filter.uses_prediction:
        return images
    # All prediction conditions go into one filter() call: each further call on a
    # multi-valued relation would join the predictions table once more.
    conditions: dict[str, object] = {"current_prediction__id__isnull": False}
    if image_filter.predicted is not None:
        conditions["current_prediction__predicted_class_id"] = image_filter.predicted
    if image_filter.min_confidence is not None:
        conditions["current_prediction__confidence__gte"] = image_filter.min_confidence
    if image_filter.max_confidence is not None:
        conditions["current_prediction__confidence__lte"] = image_filter.max_confidence
    if image_filter.disagree:
        conditions["current_label__isnull"] = False
    images = images.annotate(
        current_prediction=FilteredRelation(
            "predictions",
            condition=Q(predictions__model_version_id=project.current_classifier_id),
        ),
    ).filter(**conditions)
    if image_filter.disagree:
        # An annotation on the same join keeps this a plain column comparison.
        images = images.annotate(
            predicted_class_id=F("current_prediction__predicted_class_id")
        ).exclude(predicted_class_id=F("current_label_id"))
    return images
