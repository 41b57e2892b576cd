"""Near-duplicate images: groups whose representations are almost the same direction.

Pairs are found once per encoder version at the lowest threshold the page offers and
cached; any higher threshold is then a filter over those pairs, so moving the threshold
control costs milliseconds. The worker finds them after every job that embeds images
(:func:`store_duplicate_pairs`), so the page has them for a collection of any size; a page
request finds them itself only for up to ``MAX_IMAGES`` images (older versions, or a page
opened before its job ended). Only the ``MAX_PAIRS`` most similar pairs are kept; below the
least similar of them the groups are incomplete, and the page says so.

A group is shown as duplicates, with a delete action, only when the encoder is the one the
threshold was calibrated for (the ImageNet-pretrained backbone as shipped) and its images are
linked at ``DUPLICATE_THRESHOLD`` or above; any other group is "similar", without one. Other
encoders (random weights, or continued with SimCLR on the project) have no calibrated
threshold: their page starts at identical representations only.
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
from simclr_core.curation.near_duplicates import (
    DUPLICATE_THRESHOLD,
    find_similar_pairs,
    group_pairs,
)

MAX_IMAGES = 20_000
PAIRS = "duplicates"  # the stored pairs' folder under the insights cache
LOWEST_THRESHOLD = 0.80
DEFAULT_THRESHOLD = DUPLICATE_THRESHOLD
UNCALIBRATED_DEFAULT = 1.0  # any lower chains distinct images with an uncalibrated encoder
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
    duplicates: bool = False  # linked at DUPLICATE_THRESHOLD by a calibrated encoder

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
    calibrated: bool = True  # the encoder's similarities can call images duplicates
    not_searched: int = 0  # images added since the representations were computed


def is_calibrated(version: ModelVersion | None) -> bool:
    """Whether DUPLICATE_THRESHOLD was calibrated on this encoder's representations: the
    ImageNet-pretrained backbone as the Embed job stores it, not trained further."""
    return version is not None and (version.config or {}).get("source") == "imagenet"


def default_threshold(project: Project) -> float:
    return DEFAULT_THRESHOLD if is_calibrated(project.current_encoder) else UNCALIBRATED_DEFAULT


def parse_threshold(text: str | None, default: float = DEFAULT_THRESHOLD) -> float:
    """The threshold from the query string; raises ValueError with a readable message."""
    if text is None or text.strip() == "":
        return default
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


def _describe(
    project: Project, groups: list[list[int]], duplicates: list[bool]
) -> list[DuplicateGroup]:
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
    for group, duplicate in zip(groups, duplicates, strict=True):
        existing = [images[image_id] for image_id in group[:looked_at] if image_id in images]
        size = len(group) if len(group) > looked_at else len(existing)
        if size > 1:  # an image deleted since the embedding leaves a smaller group
            shown = [_describe_image(image, thumbnail, detail) for image in existing]
            described.append(DuplicateGroup(shown[:MAX_SHOWN_PER_GROUP], size, duplicate))
    return described


def _linked_as_duplicates(
    stored: dict[str, np.ndarray], groups: list[list[int]], count: int
) -> list[bool]:
    """For each group (positions), whether its images are connected at DUPLICATE_THRESHOLD."""
    strict = stored["similarity"] >= DUPLICATE_THRESHOLD
    component = np.full(count, -1, dtype=np.int64)
    for number, group in enumerate(
        group_pairs(stored["first"][strict], stored["second"][strict], count)
    ):
        component[group] = number
    return [bool(component[group[0]] >= 0 and (component[group] == component[group[0]]).all())
            for group in groups]  # fmt: skip


def find_duplicate_groups(project: Project, threshold: float) -> DuplicateReport:
    version = project.current_encoder
    calibrated = is_calibrated(version)
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
    every_group = group_pairs(stored["first"][keep], stored["second"][keep], count)
    positions = every_group[: MAX_GROUPS_SHOWN * 2]
    linked = _linked_as_duplicates(stored, positions, count)
    image_ids = stored["image_ids"]
    groups = [[int(image_ids[position]) for position in group] for group in positions]
    described = _describe(project, groups, [calibrated and link for link in linked])
    # images deleted since the search: the count of those still here, groups they left
    searched = count
    if count <= MAX_IMAGES:
        searched = Image.objects.filter(project=project, pk__in=image_ids.tolist()).count()
    group_count = len(every_group) - (len(positions) - len(described))
    return DuplicateReport(
        threshold, described[:MAX_GROUPS_SHOWN], group_count, searched, "", complete_above,
        calibrated, max(0, project.images.count() - searched),
    )  # fmt: skip
