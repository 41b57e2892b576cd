"""The "label next" queue: the images whose labels would teach the model most."""

import numpy as np
from django.db import transaction

from labelapp.images.label_sources import person_label_counts
from labelapp.learning.models import QueueItem
from labelapp.learning.training import labeled_by_whom, load_classifier_output
from labelapp.learning.versions import load_representations
from labelapp.projects.models import Project
from simclr_core.curation.strategies import UNCERTAINTY_MEASURES

QUEUE_SIZE = 50


class NothingToPickFrom(ValueError):
    """The project has no stored representations to pick images from yet."""


def refresh_stored_queue(project: Project, strategy: str) -> int:
    """``refresh_queue`` from the current encoder's stored representations, without a job:
    images added since they were computed wait for the next Embed."""
    encoder = project.current_encoder
    if encoder is None or not encoder.representations:
        raise NothingToPickFrom("No representations yet: run Embed (or Pretrain) first.")
    image_ids, representations = load_representations(encoder)
    keep = np.isin(image_ids, list(project.images.values_list("id", flat=True)))
    return refresh_queue(project, image_ids[keep], representations[keep], strategy)


def refresh_queue(
    project: Project,
    image_ids: np.ndarray,
    representations: np.ndarray,
    strategy: str = "default",
    count: int = QUEUE_SIZE,
) -> int:
    """Replace the project's queue with a fresh pick; returns how many were picked.

    Images a person queued by hand stay at the front while they are unlabeled.
    """
    from simclr_core.curation.selection import (
        select_batch,  # loads torch (k-means): not at start-up
    )

    classes = list(project.classes.order_by("position", "id"))
    labeled, labels, *_ = labeled_by_whom(image_ids, classes, project.pk)
    # the class shares count a person's labels, as the dashboard does: accepted predictions
    # are the model's own answers
    by_person = person_label_counts(project.pk)
    person_counts = np.array([by_person[c.pk] for c in classes], dtype=np.int64)
    probabilities = _aligned_probabilities(project, image_ids)
    if probabilities is None and strategy in UNCERTAINTY_MEASURES:
        strategy = "default"
    unlabeled = len(image_ids) - len(labeled)
    picks = select_batch(
        strategy,
        representations,
        labeled,
        min(count, unlabeled),
        probabilities=probabilities,
        class_names=[c.name for c in classes] if probabilities is not None else None,
        labels=labels,
        label_counts=person_counts,
    ) if unlabeled > 0 else []  # fmt: skip
    with transaction.atomic():
        Project.objects.select_for_update().get(pk=project.pk)  # one replacement at a time
        queue = QueueItem.objects.filter(project=project)
        kept = dict(
            queue.filter(strategy=QueueItem.MANUAL, image__current_label__isnull=True).values_list(
                "image_id", "rank"
            )
        )
        queue.exclude(image_id__in=kept).delete()
        fresh = [pick for pick in picks if int(image_ids[pick.index]) not in kept]
        QueueItem.objects.bulk_create(
            QueueItem(
                project=project,
                image_id=int(image_ids[pick.index]),
                rank=rank,
                strategy=pick.strategy,
                score=float(pick.score),
                reason=pick.reason[:300],
            )
            for rank, pick in enumerate(fresh, start=max(kept.values(), default=-1) + 1)
        )
    return len(fresh)


def _aligned_probabilities(project: Project, image_ids: np.ndarray) -> np.ndarray | None:
    """Current classifier probabilities in the order of ``image_ids`` (None if incomplete)."""
    version = project.current_classifier
    if version is None:
        return None
    output = load_classifier_output(version)
    row_of = {int(image_id): row for row, image_id in enumerate(output["image_ids"])}
    if not all(int(image_id) in row_of for image_id in image_ids):
        return None
    rows = [row_of[int(image_id)] for image_id in image_ids]
    probabilities: np.ndarray = output["probabilities"][rows]
    return probabilities
