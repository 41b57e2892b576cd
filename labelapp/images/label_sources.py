"""Who gave an image its current label: a person, or a model (an accepted prediction).

Estimates are scored only on labels a person gave; accepted predictions may train a model
but are never taken as truth. Imported labels (a labels CSV, the bulk labels API, class
folders on import) count as a person's: someone made them and vouches for them. Another
model's output is sent as predictions instead (labelapp/learning/external_predictions.py),
which become labels only when a person accepts them.
"""

from typing import NamedTuple

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from labelapp.images.models import Image, Label, LabelSource

# Set by hand or in an imported file; the others came from a model.
HUMAN_SOURCES = (LabelSource.PERSON, LabelSource.IMPORT)


# "Label next" strategies that offer the images the model is least sure of (the names of
# simclr_core.curation.selection.UNCERTAINTY_MEASURES, not imported here: it loads torch).
# Those images are harder than the rest, so their labels would make the accuracy expected
# on the unlabeled images read low (benchmarks/estimate_bias.py --picks margin).
LEAST_SURE_STRATEGIES = ("least_confidence", "margin", "entropy")
# What a label's ``picked_by`` may say: "" (the person found the image), a strategy of
# simclr_core.curation.selection.STRATEGY_NAMES, or "manual" (put in the queue by a person).
PICKED_BY = ("", "random", *LEAST_SURE_STRATEGIES, "typical", "core_set", "default", "manual")


class CurrentLabel(NamedTuple):
    image_id: int
    class_id: int
    by_person: bool  # scored: estimates are measured on it
    # by a person, and the image never picked as one of the model's least sure (a later
    # correction of such a label does not make the image typical)
    calibrates: bool


def current_labels(images: QuerySet[Image]) -> list[CurrentLabel]:
    """Each labeled image's label and who gave it, in one query.

    The source is that of the image's newest history row; an image without history counts
    as labeled by a person.
    """
    newest = Label.objects.filter(image=OuterRef("pk")).order_by("-created_at", "-id")
    rows = (
        images.filter(current_label__isnull=False)
        .annotate(
            newest_source=Subquery(newest.values("source")[:1]),
            least_sure=Exists(
                Label.objects.filter(image=OuterRef("pk"), picked_by__in=LEAST_SURE_STRATEGIES)
            ),
        )
        .values_list("id", "current_label_id", "newest_source", "least_sure")
    )
    labels = []
    for image_id, class_id, source, least_sure in rows:
        by_person = source is None or source in HUMAN_SOURCES
        labels.append(CurrentLabel(image_id, class_id, by_person, by_person and not least_sure))
    return labels
