"""Near-duplicate images: groups whose representations are almost the same direction.

Pairs are found once per encoder version at the lowest threshold the page offers and
cached; any higher threshold is then a filter over those pairs, so moving the threshold
control costs milliseconds. The worker finds them after every job that embeds images
(:func:`store_duplicate_pairs`), so the page has them for a collection of any size; a page
request finds them itself only for up to ``MAX_IMAGES`` images (older versions, or a page
opened before its job ended). Only the ``MAX_PAIRS`` most similar pairs are kept; below the
least similar of them the groups are incomplete, and the page says so.

Two kinds of link join images into groups: representations at or above the page's threshold,
and pixels: the 16 x 16 grey thumbnails of two decoded images correlating at
``PIXEL_THRESHOLD`` (this finds the JPEG re-saves and resized copies the representations miss;
see ``simclr_core.curation.near_duplicates``). The thumbnails come from the newest decoded
images the jobs left (``decoded_images``); images without one are compared by representation
only, and the page says how many.

A group is shown as duplicates, with a delete action, only when its images are linked by
pixels, or at ``DUPLICATE_THRESHOLD`` or above by the encoder the threshold was calibrated for
(the ImageNet-pretrained backbone as shipped); any other group is "similar", without one.
Other encoders (random weights, or continued with SimCLR on the project) have no calibrated
threshold: their page starts at identical representations only.
"""

from dataclasses import dataclass

import numpy as np
from django.core.files.storage import default_storage

from labelapp.images.models import Image
from labelapp.insights.stored_arrays import (
    CACHE_FOLDER,
    READ_ERRORS,
    derived_arrays,
    derived_key,
    embedded_count,
    stored_derived_arrays,
    unreadable,
)
from labelapp.learning.dataset_cache import decoded_images
from labelapp.learning.models import ModelVersion
from labelapp.learning.versions import load_representations
from labelapp.projects.models import Project
from labelapp.projects.tiles import url_template
from simclr_core.curation.near_duplicates import (
    DUPLICATE_THRESHOLD,
    PIXEL_SIDE,
    PIXEL_THRESHOLD,
    find_similar_pairs,
    group_pairs,
    pixel_signatures,
)

MAX_IMAGES = 20_000
PAIRS = (
    "near-duplicates"  # the stored pairs' folder (pairs stored before pixel links: "duplicates")
)
PIXEL_CHUNK = 512  # decoded images read at a time
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
    not_compared: int = 0  # searched images compared by representation only (no pixels)


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
    """Find and store the near-duplicate pairs of a version's representations, unless stored
    with the pixels of every image still here (a page may have found them before the decoded
    images were here, or on a web server that has none)."""
    stored = stored_derived_arrays(PAIRS, version)
    if stored is not None and _not_compared(version.project, stored):
        default_storage.delete(f"{CACHE_FOLDER}/{derived_key(PAIRS, version)}.npz")
    derived_arrays(PAIRS, version, lambda: _pairs_of(version))


def _pairs_of(version: ModelVersion) -> dict[str, np.ndarray]:
    image_ids, representations = load_representations(version)
    first, second, similarity = find_similar_pairs(
        representations, LOWEST_THRESHOLD, max_pairs=MAX_PAIRS
    )
    pixel_first, pixel_second, compared = _pixel_pairs(version, image_ids)
    return {
        "image_ids": image_ids.astype(np.int64),
        "first": first,
        "second": second,
        "similarity": similarity,
        "pixel_first": pixel_first,
        "pixel_second": pixel_second,
        "pixel_compared": compared,
    }


def _pixel_pairs(
    version: ModelVersion, image_ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs (positions in ``image_ids``) whose decoded images' thumbnails correlate at
    PIXEL_THRESHOLD or more, and for each image whether it had decoded pixels to compare."""
    nothing = np.zeros(0, dtype=np.int64)
    size = int((version.config or {}).get("image_size", 32))
    decoded = decoded_images(version.project_id, size) if size >= PIXEL_SIDE else None
    if decoded is None:
        return nothing, nothing, np.zeros(len(image_ids), dtype=bool)
    cached_ids, images = decoded
    rows = np.flatnonzero(np.isin(cached_ids, image_ids))
    compared = np.isin(image_ids, cached_ids[rows])
    if len(rows) < 2:
        return nothing, nothing, compared
    signatures = np.concatenate([
        pixel_signatures(np.asarray(images[rows[start : start + PIXEL_CHUNK]]))
        for start in range(0, len(rows), PIXEL_CHUNK)
    ])  # fmt: skip
    first, second, _ = find_similar_pairs(signatures, PIXEL_THRESHOLD, center=False)
    position = {image_id: number for number, image_id in enumerate(image_ids.tolist())}
    positions = np.array([position[image_id] for image_id in cached_ids[rows].tolist()])
    return positions[first].astype(np.int64), positions[second].astype(np.int64), compared


def _not_compared(project: Project, stored: dict[str, np.ndarray]) -> int:
    """How many of the searched images still here had no decoded pixels to compare."""
    missing = stored["image_ids"][~stored["pixel_compared"]]
    if len(missing) == 0 or len(missing) > MAX_IMAGES:
        return len(missing)
    return Image.objects.filter(project=project, pk__in=missing.tolist()).count()


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
    stored: dict[str, np.ndarray], groups: list[list[int]], count: int, calibrated: bool
) -> list[bool]:
    """For each group (positions), whether its images are connected by pixel links, or by
    representations at DUPLICATE_THRESHOLD from a calibrated encoder."""
    strict = (stored["similarity"] >= DUPLICATE_THRESHOLD) & calibrated
    first, second = _links(stored, strict)
    component = np.full(count, -1, dtype=np.int64)
    for number, group in enumerate(group_pairs(first, second, count)):
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
    every_group = group_pairs(*_links(stored, stored["similarity"] >= threshold), count)
    positions = every_group[: MAX_GROUPS_SHOWN * 2]
    linked = _linked_as_duplicates(stored, positions, count, calibrated)
    image_ids = stored["image_ids"]
    groups = [[int(image_ids[position]) for position in group] for group in positions]
    described = _describe(project, groups, linked)
    # images deleted since the search: the count of those still here, groups they left
    searched = count
    if count <= MAX_IMAGES:
        searched = Image.objects.filter(project=project, pk__in=image_ids.tolist()).count()
    group_count = len(every_group) - (len(positions) - len(described))
    return DuplicateReport(
        threshold, described[:MAX_GROUPS_SHOWN], group_count, searched, "", complete_above,
        calibrated, max(0, project.images.count() - searched),
        _not_compared(project, stored),
    )  # fmt: skip


def _links(stored: dict[str, np.ndarray], keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The representation pairs where ``keep`` holds, and every pixel pair."""
    return (
        np.concatenate([stored["first"][keep], stored["pixel_first"]]),
        np.concatenate([stored["second"][keep], stored["pixel_second"]]),
    )
