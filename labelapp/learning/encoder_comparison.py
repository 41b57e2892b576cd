"""Did a new encoder help? Cross-validated accuracy on the labels people gave, before and after.

A Pretrain run that continues SimCLR from ImageNet weights can help or hurt depending on the
photos, so its result says which, on this project's own labels, instead of assuming.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import StratifiedKFold

from labelapp.learning.training import labeled_by_whom
from labelapp.projects.models import Project
from simclr_core.fewlabel.linear_probe import fit_linear_probe

MINIMUM_PER_CLASS = 2  # stratified 2-fold needs two labels in every class it scores


@dataclass(frozen=True)
class Comparison:
    labels: int  # human labels scored
    before: float  # cross-validated accuracy with the old representations
    after: float  # ... with the new ones

    def as_result(self) -> dict[str, float | int]:
        return {
            "labels_scored": self.labels,
            "accuracy_before": round(self.before, 4),
            "accuracy_after": round(self.after, 4),
        }


def compare_encoders(
    project: Project,
    before: tuple[np.ndarray, np.ndarray],
    after: tuple[np.ndarray, np.ndarray],
) -> Comparison | None:
    """Accuracy of the app's linear probe (as the train job fits it) on the two (image ids,
    representations) pairs, cross-validated on the same human labels and folds; None when
    too few labels (two classes with two labels each) to tell. (A standardized logistic
    regression scored 61% here where the dashboard's linear probe showed 68%.)"""
    shared = np.intersect1d(before[0], after[0])
    classes = list(project.classes.order_by("position", "id"))
    positions, labels, by_person, _ = labeled_by_whom(shared, classes, project.pk)
    positions, labels = positions[by_person], labels[by_person]
    counts = np.bincount(labels, minlength=len(classes)) if len(labels) else np.zeros(1)
    scored_classes = np.flatnonzero(counts >= MINIMUM_PER_CLASS)
    keep = np.isin(labels, scored_classes)
    positions, labels = positions[keep], labels[keep]
    if len(scored_classes) < 2:
        return None
    folds = StratifiedKFold(
        n_splits=int(min(5, counts[scored_classes].min())), shuffle=True, random_state=0
    )
    scores = []
    for image_ids, representations in (before, after):
        order = np.argsort(image_ids)
        features = representations[order[np.searchsorted(image_ids[order], shared[positions])]]
        right = 0
        for train, test in folds.split(features, labels):
            probe = fit_linear_probe(
                features[train], labels[train], len(classes), representations, calibrate=False
            )
            right += int(
                (probe.predict_probabilities(features[test]).argmax(1) == labels[test]).sum()
            )
        scores.append(right / len(labels))
    return Comparison(len(labels), scores[0], scores[1])
