"""Who gave an image its current label: a person, or a model (an accepted prediction).

Estimates are scored only on labels a person gave; accepted predictions may train a model
but are never taken as truth. Imported labels (a labels CSV, the bulk labels API, class
folders on import) count as a person's: someone made them and vouches for them. Another
model's output is sent as predictions instead (labelapp/learning/external_predictions.py),
which become labels only when a person accepts them.
"""

from django.db.models import OuterRef, QuerySet, Subquery

from labelapp.images.models import Image, Label, LabelSource

# Set by hand or in an imported file; the others came from a model.
HUMAN_SOURCES = (LabelSource.PERSON, LabelSource.IMPORT)


def current_labels(images: QuerySet[Image]) -> list[tuple[int, int, bool]]:
    """(image id, class id, whether a person gave it) for each labeled image, in one query.

    The source is that of the image's newest history row; an image without history counts
    as labeled by a person.
    """
    newest = Label.objects.filter(image=OuterRef("pk")).order_by("-created_at", "-id")
    rows = (
        images.filter(current_label__isnull=False)
        .annotate(newest_source=Subquery(newest.values("source")[:1]))
        .values_list("id", "current_label_id", "newest_source")
    )
    return [
        (image_id, class_id, source is None or source in HUMAN_SOURCES)
        for image_id, class_id, source in rows
    ]
