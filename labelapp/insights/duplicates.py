"""Near-duplicate images: groups linked by their representations or by their pixels.

Representation pairs (cosine of the encoder's representations) are found once per set of
representations at the lowest threshold the page offers and cached; any higher threshold is
then a filter over those pairs, so moving the threshold control costs milliseconds. The worker
finds them after every job that embeds images (:func:`store_duplicate_pairs`), so the page has
them for a collection of any size; a page request finds them itself only for up to
``MAX_IMAGES`` images (older versions, or a page opened before its job ended). Only the
``MAX_PAIRS`` most similar pairs are kept; below the least similar of them the groups are
incomplete, and the page says so.

Pixel links join the JPEG re-saves and resized copies the representations miss: the 16 x 16
grey thumbnails of two decoded images correlating at ``PIXEL_THRESHOLD`` (see
``simclr_core.curation.near_duplicates``). Only the worker finds them, from the decoded images
its job left (``decoded_images``), once per set of representations; a page never reads the
decoded images. Images it had no decoded pixels of are compared by representation only, and
the page says how many.

A group is shown as duplicates, with a delete action, only when its images are all connected
by pixel links, or by representation links at ``DUPLICATE_THRESHOLD`` or above from the
encoder that threshold was calibrated for (the ImageNet-pretrained backbone as shipped); any
other group is "similar", without one. Other encoders (random weights, or continued with
SimCLR on the project) have no calibrated threshold: their page starts at identical
representations only.
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
from labelapp.learning.dataset_cache import decoded_images
from labelapp.learning.embedding import stored_image_ids
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
PAIRS = "duplicates"  # the stored representation pairs' folder under the insights cache
PIXEL_PAIRS = "pixel-duplicates"  # the stored pixel links' folder
PIXEL_CHUNK = 512  # decoded images read at a time
LOWEST_THRESHOLD = 0.80
DEFAULT_THRESHOLD = DUPLICATE_THRESHOLD
UNCALIBRATED_DEFAULT = 1.0  # any lower chains distinct images with an uncalibrated encoder
MAX_PAIRS = 200_000
MAX_GROUPS_SHOWN = 100
MAX_SHOWN_PER_GROUP = 24
NO_IDS = np.zeros(0, dtype=np.int64)
Links = tuple[np.ndarray, np.ndarray]  # first, second: positions in the searched image ids


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
    duplicates: bool = False  # connected by pixel links or a calibrated encoder's strict ones

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
    not_compared: int = 0  # searched images still here with no pixel links looked for


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
    """Find and store the near-duplicate pairs of a version's representations, and the pixel
    links of the images this worker decoded, unless stored. Only workers find pixel links:
    a page never reads the decoded images (gigabytes for a large collection)."""
    derived_arrays(PAIRS, version, lambda: _pairs_of(version))
    derived_arrays(PIXEL_PAIRS, version, lambda: _pixel_pairs_of(version))


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


def _pixel_pairs_of(version: ModelVersion) -> dict[str, np.ndarray]:
    """The pairs of images (ids, ``first`` < ``second``) whose decoded pictures' thumbnails
    correlate at PIXEL_THRESHOLD or more, and the ids of the images that had decoded pixels
    to compare (``compared``): those of the version's images in the newest decoded set."""
    size = int((version.config or {}).get("image_size", 32))
    decoded = decoded_images(version.project_id, size) if size >= PIXEL_SIDE else None
    if decoded is None:
        return {"first": NO_IDS, "second": NO_IDS, "compared": NO_IDS}
    cached_ids, images = decoded
    rows = np.flatnonzero(np.isin(cached_ids, stored_image_ids(version)))
    signatures = np.zeros((len(rows), PIXEL_SIDE * PIXEL_SIDE), dtype=np.float32)
    for start in range(0, len(rows), PIXEL_CHUNK):
        chunk = rows[start : start + PIXEL_CHUNK]
        signatures[start : start + len(chunk)] = pixel_signatures(np.asarray(images[chunk]))
    first, second, _ = find_similar_pairs(
        signatures, PIXEL_THRESHOLD, center=False, max_pairs=MAX_PAIRS
    )
    ids = cached_ids[rows]
    return {
        "first": np.minimum(ids[first], ids[second]),
        "second": np.maximum(ids[first], ids[second]),
        "compared": ids,
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
    links: Links, strict: np.ndarray, groups: list[list[int]], count: int
) -> list[bool]:
    """For each group (positions), whether its images are all connected by the links where
    ``strict`` holds (pixel links, and a calibrated encoder's at DUPLICATE_THRESHOLD)."""
    component = np.full(count, -1, dtype=np.int64)
    for number, group in enumerate(group_pairs(links[0][strict], links[1][strict], count)):
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
        pixels = stored_derived_arrays(PIXEL_PAIRS, version)  # the worker's, once it ran
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
    image_ids = stored["image_ids"]
    links, similarity = _links(stored, pixels, image_ids)
    shown = similarity >= threshold
    every_group = group_pairs(links[0][shown], links[1][shown], count)
    positions = every_group[: MAX_GROUPS_SHOWN * 2]
    strict = (similarity > 1.0) | (calibrated & (similarity >= DUPLICATE_THRESHOLD))
    linked = _linked_as_duplicates(links, strict, positions, count)
    # oldest first: the copy a group keeps is the one imported first
    groups = [sorted(int(image_ids[position]) for position in group) for group in positions]
    described = _describe(project, groups, linked)
    # images deleted since the search: counted as they are now, groups they left dropped
    project_ids = np.fromiter(project.images.values_list("id", flat=True), np.int64)
    existing = np.isin(image_ids, project_ids)
    compared = np.isin(image_ids, NO_IDS if pixels is None else pixels["compared"])
    group_count = len(every_group) - (len(positions) - len(described))
    searched = int(existing.sum())
    return DuplicateReport(
        threshold, described[:MAX_GROUPS_SHOWN], group_count, searched, "", complete_above,
        calibrated, len(project_ids) - searched, int((existing & ~compared).sum()),
    )  # fmt: skip


def _links(
    stored: dict[str, np.ndarray], pixels: dict[str, np.ndarray] | None, image_ids: np.ndarray
) -> tuple[Links, np.ndarray]:
    """Every representation pair and every pixel link between the searched images, as
    positions in ``image_ids``, with their similarity: a pixel link's is 2, above any
    threshold and marking it as one."""
    first, second = (NO_IDS, NO_IDS) if pixels is None else (pixels["first"], pixels["second"])
    searched = np.isin(first, image_ids) & np.isin(second, image_ids)
    order = np.argsort(image_ids)
    first, second = (
        order[np.searchsorted(image_ids, ids[searched], sorter=order)] for ids in (first, second)
    )
    links = (np.concatenate([stored["first"], first]), np.concatenate([stored["second"], second]))
    similarity = np.concatenate([stored["similarity"], np.full(len(first), 2.0)])
    return (links[0].astype(np.int64), links[1].astype(np.int64)), similarity
