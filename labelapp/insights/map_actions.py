"""What the lasso on the embedding map does: label the selected images, or queue them.

Requests are JSON; ``parse_*`` turn them into typed selections or raise SelectionError with
a message for the person. Labels go through ``set_label`` one image at a time, each with
the label version the browser saw, so someone else's change is reported, never overwritten.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F, Max

from labelapp.images.label_sources import HUMAN_SOURCES, newest_source
from labelapp.images.labeling import LabelConflict, set_label
from labelapp.images.models import Image
from labelapp.learning.models import QueueItem
from labelapp.projects.models import LabelClass, Project

MAX_SELECTION = 1000
MANUAL_REASON = "picked on the map"


class SelectionError(ValueError):
    """The request cannot be applied; the message says why, in words for a person."""


@dataclass(frozen=True)
class LabelSelection:
    versions: dict[int, int]  # image id -> label version the browser saw
    label_class: LabelClass


@dataclass
class LabelOutcome:
    labeled: int = 0
    labeled_ids: list[int] = field(default_factory=list)  # their label versions went up by one
    relabeled: int = 0  # of those labeled, images that had another class before
    unchanged: int = 0
    missing: int = 0
    conflicts: list[dict[str, Any]] = field(default_factory=list)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**62


def _read_object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise SelectionError("The request is not valid JSON.") from None
    if not isinstance(data, dict):
        raise SelectionError("The request must be a JSON object.")
    return data


def _check_size(count: int) -> None:
    if count == 0:
        raise SelectionError("Select at least one image.")
    if count > MAX_SELECTION:
        raise SelectionError(f"Send at most {MAX_SELECTION:,} images per request (got {count:,}).")


def parse_label_selection(project: Project, body: bytes) -> LabelSelection:
    data = _read_object(body)
    images = data.get("images")
    if not isinstance(images, list):
        raise SelectionError('"images" must be a list of [image id, label version] pairs.')
    _check_size(len(images))
    versions: dict[int, int] = {}
    for pair in images:
        if not (isinstance(pair, list) and len(pair) == 2 and all(map(_is_count, pair))):
            raise SelectionError('Each entry of "images" must be [image id, label version].')
        versions[pair[0]] = pair[1]
    class_id = data.get("class_id")
    if not isinstance(class_id, int) or not _is_count(class_id):
        raise SelectionError("Choose a class to label the selection with.")
    label_class = project.classes.filter(pk=class_id).first()
    if label_class is None:
        raise SelectionError("That class does not exist in this project (was it deleted?).")
    return LabelSelection(versions, label_class)


def parse_queue_selection(body: bytes) -> list[int]:
    data = _read_object(body)
    image_ids = data.get("image_ids")
    if not isinstance(image_ids, list) or not all(map(_is_count, image_ids)):
        raise SelectionError('"image_ids" must be a list of image ids.')
    _check_size(len(image_ids))
    return list(dict.fromkeys(image_ids))


def label_selection(project: Project, selection: LabelSelection, user: Any) -> LabelOutcome:
    """Label each selected image that is still as the browser saw it; report the rest.

    An image that already has the class from a person is left as it is; one that has it
    from an accepted prediction gets it from the person now (a prediction they checked)."""
    outcome = LabelOutcome()
    images = Image.objects.filter(project=project, pk__in=list(selection.versions)).order_by("pk")
    images = images.only("id", "project_id", "current_label_id", "label_version")
    found = 0
    for image in images.annotate(newest_source=newest_source()):
        found += 1
        expected = selection.versions[image.pk]
        same = image.current_label_id == selection.label_class.pk
        by_person = (image.newest_source or HUMAN_SOURCES[0]) in HUMAN_SOURCES
        if same and by_person and image.label_version == expected:
            outcome.unchanged += 1
            continue
        other = image.current_label_id not in (None, selection.label_class.pk)
        try:
            set_label(image, selection.label_class, user, expected)
            outcome.labeled += 1
            outcome.labeled_ids.append(image.pk)
            outcome.relabeled += int(other)
        except LabelConflict as conflict:
            now = conflict.image
            outcome.conflicts.append({
                "id": now.pk,
                "label_class_id": now.current_label_id,
                "label": now.current_label.name if now.current_label else "",
                "version": now.label_version,
            })  # fmt: skip
    outcome.missing = len(selection.versions) - found
    return outcome


def queue_selection(project: Project, image_ids: list[int]) -> dict[str, int]:
    """Put the unlabeled, not yet queued images at the front of the label-next queue."""
    with transaction.atomic():
        Project.objects.select_for_update().get(pk=project.pk)  # one queue edit at a time
        found = dict(
            Image.objects.filter(project=project, pk__in=image_ids).values_list(
                "pk", "current_label_id"
            )
        )
        queued = set(
            QueueItem.objects.filter(project=project, image_id__in=image_ids).values_list(
                "image_id", flat=True
            )
        )
        new = [i for i in image_ids if i in found and found[i] is None and i not in queued]
        if new:
            top = QueueItem.objects.filter(project=project).aggregate(Max("rank"))["rank__max"]
            if top is not None:
                QueueItem.objects.filter(project=project).update(rank=F("rank") + len(new))
            QueueItem.objects.bulk_create(
                QueueItem(project=project, image_id=image_id, rank=rank,
                          strategy=QueueItem.MANUAL, score=0.0, reason=MANUAL_REASON)
                for rank, image_id in enumerate(new)
            )  # fmt: skip
    return {
        "queued": len(new),
        "already_queued": sum(1 for i in queued if i in found and found[i] is None),
        "labeled": sum(1 for i in image_ids if i in found and found[i] is not None),
        "missing": len(image_ids) - len(found),
    }
