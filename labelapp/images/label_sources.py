"""Who gave an image its current label: a person, or a model (an accepted prediction).

Estimates are scored only on labels a person gave; accepted predictions may train a model
but are never taken as truth. Imported labels (a labels CSV, the bulk labels API, class
folders on import) count as a person's: someone made them and vouches for them. Another
model's output is sent as predictions instead (labelapp/learning/external_predictions.py),
which become labels only when a person accepts them.
"""

from collections import Counter
from typing import NamedTuple

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery

from labelapp.images.models import Image, Label, LabelSource
from labelapp.learning.models import QueueItem
from simclr_core.curation.strategies import STRATEGY_NAMES, UNCERTAINTY_MEASURES

# Set by hand or in an imported file; the others came from a model.
HUMAN_SOURCES = (LabelSource.PERSON, LabelSource.IMPORT)


# What a label's ``picked_by`` may say: "" (the person found the image), a strategy, or
# "manual" (put in the queue by a person).
PICKED_BY = ("", *STRATEGY_NAMES, QueueItem.MANUAL)


def check_picked_by(value: str) -> str:
    """``value`` if a label's ``picked_by`` may say it; else a ``ValueError`` that lists
    what it may say."""
    if value not in PICKED_BY:
        named = ", ".join(name for name in PICKED_BY if name)
        raise ValueError(f"unknown strategy {value[:40]!r}; use one of {named}, or leave it empty")
    return value


class CurrentLabel(NamedTuple):
    image_id: int
    class_id: int
    by_person: bool  # scored: estimates are measured on it
    # by a person, and the image never picked as one of the model's least sure (by a strategy
    # of UNCERTAINTY_MEASURES): those images are harder than the rest, so their labels would
    # make the accuracy expected on the unlabeled images read low (benchmarks/estimate_bias.py
    # --picks margin). A later correction of such a label does not make the image typical.
    calibrates: bool


def newest_source() -> Subquery:
    """The source of an image's newest label history row, to annotate images with; None for
    an image without history (labeled before history was kept: a person's)."""
    newest = Label.objects.filter(image=OuterRef("pk")).order_by("-created_at", "-id")
    return Subquery(newest.values("source")[:1])


def current_labels(images: QuerySet[Image]) -> list[CurrentLabel]:
    """Each labeled image's label and who gave it, in one query.

    The source is that of the image's newest history row; an image without history counts
    as labeled by a person.
    """
    rows = (
        images.filter(current_label__isnull=False)
        .annotate(
            newest_source=newest_source(),
            least_sure=Exists(
                Label.objects.filter(image=OuterRef("pk"), picked_by__in=UNCERTAINTY_MEASURES)
            ),
        )
        .values_list("id", "current_label_id", "newest_source", "least_sure")
    )
    labels = []
    for image_id, class_id, source, least_sure in rows:
        by_person = source is None or source in HUMAN_SOURCES
        labels.append(CurrentLabel(image_id, class_id, by_person, by_person and not least_sure))
    return labels


def person_label_counts(project_id: int) -> Counter[int]:
    """How many of a project's images carry a label a person gave, per class id, counted in
    the database: as :func:`current_labels` tells a person's label (an image without
    history counts as a person's)."""
    by_person = Q(newest_source__isnull=True) | Q(newest_source__in=HUMAN_SOURCES)
    rows = (
        Image.objects.filter(project_id=project_id, current_label__isnull=False)
        .annotate(newest_source=newest_source())
        .filter(by_person)
        .order_by()
        .values("current_label_id")
        .annotate(count=Count("pk"))
        .values_list("current_label_id", "count")
    )
    return Counter(dict(rows))
