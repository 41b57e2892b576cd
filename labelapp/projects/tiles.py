"""What one thumbnail on the labeling grid shows, built for a whole page in two queries."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.urls import reverse
from django.utils.http import urlencode

from labelapp.images.models import Image
from labelapp.learning.models import Prediction, QueueItem
from labelapp.projects.models import Project

TILE_FIELDS = (
    "id",
    "project_id",
    "label_version",
    "current_label_id",
    "original_name",
    "content_hash",
)


@dataclass(frozen=True)
class Tile:
    image_id: int
    name: str
    label_version: int
    label_id: int | None
    predicted_id: int | None
    confidence: float | None
    thumbnail_url: str
    detail_url: str
    reason: str = ""
    picked_by: str = ""  # the queue strategy that offered it (on the "Label next" page)

    @property
    def confidence_text(self) -> str:
        return "" if self.confidence is None else f"{self.confidence:.2f}"


PLACEHOLDER_ID = 987654321
PLACEHOLDER_HASH = "content-hash-placeholder"


def url_template(name: str, project_id: int, hashed: bool = False) -> str:
    """The URL of ``name`` for any image, reversed once per page instead of per tile.

    Hashed URLs (the picture's content hash in the path) are served with immutable cache
    headers, so a browser fetches each thumbnail once.
    """
    kwargs: dict[str, object] = {"project_id": project_id, "image_id": PLACEHOLDER_ID}
    if hashed:
        kwargs["content_hash"] = PLACEHOLDER_HASH
    url = reverse(name, kwargs=kwargs)
    return url.replace(str(PLACEHOLDER_ID), "{image_id}").replace(PLACEHOLDER_HASH, "{hash}")


def build_tiles(
    project: Project, images: Iterable[Image], queued: Mapping[int, QueueItem] | None = None
) -> list[Tile]:
    """Tiles of ``images``; those in ``queued`` (image id to its "Label next" item) say why
    they were picked, and their labels and detail links carry the strategy that picked
    them."""
    images = list(images)
    queued = queued or {}
    predictions = dict[int, tuple[int, float]]()
    if project.current_classifier_id is not None:
        rows = Prediction.objects.filter(
            model_version_id=project.current_classifier_id, image_id__in=[i.pk for i in images]
        ).values_list("image_id", "predicted_class_id", "confidence")
        predictions = {image_id: (class_id, conf) for image_id, class_id, conf in rows}
    thumbnail = url_template("image-thumbnail-hashed", project.pk, hashed=True)
    detail = url_template("image-detail", project.pk)
    tiles = []
    for image in images:
        predicted_id, confidence = predictions.get(image.pk, (None, None))
        item = queued.get(image.pk)
        detail_url = detail.format(image_id=image.pk)
        if item is not None:
            detail_url += "?" + urlencode({"picked_by": item.strategy})
        tiles.append(
            Tile(
                image_id=image.pk,
                name=image.original_name,
                label_version=image.label_version,
                label_id=image.current_label_id,
                predicted_id=predicted_id,
                confidence=confidence,
                thumbnail_url=thumbnail.format(image_id=image.pk, hash=image.content_hash),
                detail_url=detail_url,
                reason=item.reason if item else "",
                picked_by=item.strategy if item else "",
            )
        )
    return tiles
