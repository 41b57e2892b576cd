"""Near-duplicate images: groups whose representations are almost the same direction.

Pairs are found once per encoder version at the lowest threshold the page offers and
cached; any higher threshold is then a filter over those pairs, so moving the threshold
control costs milliseconds. The worker finds them after every job that embeds images
(:func:`store_duplicate_pairs`), so the page has them for a collection of any size; a page
request finds them itself only for up to ``MAX_IMAGES`` images (older versions, or a page
opened before its job ended). Only the ``MAX_PAIRS`` most similar pairs are kept; below the
least similar of them the groups are incomplete, and the page says so.
"""

from dataclasses import dataclass

import numpy as np

from labelapp.images.models import Image
from labelapp.insights.stored_arrays import (
    READ_ERRORS,
    derived_arrays,
    embedded_count,
    stored_derived_arrays,
    unreadable,
)
from labelapp.learning.models import ModelVersion
from labelapp.learning.versions import load_representations
from labelapp.projects.models import Project
from labelapp.projects.tiles import url_template
from simclr_core.near_duplicates import find_similar_pairs, group_pairs

MAX_IMAGES = 20_000
PAIRS = "duplicates"  # the stored pairs' folder under the insights cache
LOWEST_THRESHOLD = 0.80
DEFAULT_THRESHOLD = 0.95
MAX_PAIRS = 200_000
MAX_GROUPS_SHOWN = 100
MAX_SHOWN_PER_GROUP = 24


@dataclass(frozen=True)
class DuplicateImage:
    image_id: int
    name: str
    thumbnail_url: str
    detail_url: str
    label_name: str
    label_color: str


@dataclass(frozen=True)
class DuplicateGroup:
    images: list[DuplicateImage]  # the first MAX_SHOWN_PER_GROUP that still exist
    size: int  # images in the group when it was embedded

    @property
    def hidden(self) -> int:
        return max(0, self.size - len(self.images))


@dataclass(frozen=True)
class DuplicateReport:
    threshold: float
    groups: list[DuplicateGroup]
    group_count: int
    image_count: int  # images searched
    problem: str = ""
    complete_above: float = LOWEST_THRESHOLD  # pairs were capped: lower thresholds miss some


def parse_threshold(text: str | None) -> float:
    """The threshold from the query string; raises ValueError with a readable message."""
    if text is None or text.strip() == "":
        return DEFAULT_THRESHOLD
    try:
        value = float(text)
    except ValueError:
        raise ValueError("The similarity threshold must be a number such as 0.95.") from None
    if not LOWEST_THRESHOLD <= value <= 1.0:
        raise ValueError(f"The similarity threshold must be between {LOWEST_THRESHOLD} and 1.0.")
    return value


def store_duplicate_pairs(version: ModelVersion) -> None:
    """Find and store the near-duplicate pairs of a version's representations, unless stored."""
    derived_arrays(PAIRS, version, lambda: _pairs_of(version))


def _pairs_of(version: ModelVersion) -> dict[str, np.ndarray]:
    image_ids, representations = load_representations(version)
    first, second, similarity = find_similar_pairs(
        representations, LOWEST_THRESHOLD, max_pairs=MAX_PAIRS
    )
    return {
        "image_ids": image_ids.astype(np.int64),
        "first": first,
        "second": second,
        "similarity": similarity,
    }


def _describe_image(image: Image, thumbnail: str, detail: str) -> DuplicateImage:
    return DuplicateImage(
        image_id=image.pk,
        name=image.original_name,
        thumbnail_url=thumbnail.format(image_id=image.pk, hash=image.content_hash),
        detail_url=detail.format(image_id=image.pk),
        label_name=image.current_label.name if image.current_label else "",
        label_color=image.current_label.color if image.current_label else "",
    )


def _describe(project: Project, groups: list[list[int]]) -> list[DuplicateGroup]:
    """The groups' images that still exist; only the first few of a large group are read."""
    looked_at = MAX_SHOWN_PER_GROUP * 2  # room for images deleted since the embedding
    wanted = {image_id for group in groups for image_id in group[:looked_at]}
    images = {
        image.pk: image
        for image in Image.objects.filter(project=project, pk__in=wanted)
        .select_related("current_label")
        .only("id", "original_name", "content_hash", "current_label__name", "current_label__color")
    }
    thumbnail = url_template("image-thumbnail-hashed", project.pk, hashed=True)
    detail = url_template("image-detail", project.pk)
    described = []
    for group in groups:
        existing = [images[image_id] for image_id in group[:looked_at] if image_id in images]
        size = len(group) if len(group) > looked_at else len(existing)
        if size > 1:  # an image deleted since the embedding leaves a smaller group
            shown = [_describe_image(image, thumbnail, detail) for image in existing]
            described.append(DuplicateGroup(shown[:MAX_SHOWN_PER_GROUP], size))
    return described


def find_duplicate_groups(project: Project, threshold: float) -> DuplicateReport:
    version = project.current_encoder
    if version is None or not version.representations:
        problem = "No representations yet: run Embed (or Pretrain) first."
        return DuplicateReport(threshold, [], 0, 0, problem)
    try:
        count = embedded_count(version)
        stored = stored_derived_arrays(PAIRS, version)
        if stored is None and count <= MAX_IMAGES:
            stored = derived_arrays(PAIRS, version, lambda: _pairs_of(version))
    except READ_ERRORS:
        return DuplicateReport(threshold, [], 0, 0, unreadable(version))
    if stored is None:
        problem = (
            f"The duplicate search over these {count:,} images has not run yet. The worker "
            "runs it after each Embed, Pretrain, Predict or Retrain job: run Embed, then "
            "reload this page when the job has finished."
        )
        return DuplicateReport(threshold, [], 0, count, problem)
    complete_above = LOWEST_THRESHOLD
    if len(stored["similarity"]) >= MAX_PAIRS:
        complete_above = float(stored["similarity"].min())
    keep = stored["similarity"] >= threshold
    positions = group_pairs(stored["first"][keep], stored["second"][keep], count)
    image_ids = stored["image_ids"]
    groups = [[int(image_ids[position]) for position in group] for group in positions]
    described = _describe(project, groups[: MAX_GROUPS_SHOWN * 2])[:MAX_GROUPS_SHOWN]
    return DuplicateReport(threshold, described, len(groups), count, "", complete_above)
