"""Self-training: a linear probe refitted on the labels plus its most confident guesses.

With a handful of labels a linear probe sees a few points per class, while the unlabeled
images around them say where each class really lies. One round of self-training (pseudo
labels, Lee 2013; the transductive step of few-shot methods) lets them speak:

1. fit the linear probe on the labels, propagate the labels over the kNN graph;
2. for every class, take the unlabeled images that the two together (their probabilities
   averaged) most confidently call that class, the same number for every class (so a class
   the first model over-predicts cannot take over), ``share`` of an even split of the
   unlabeled images, at most ``max_per_class``;
3. refit the probe on the labels plus those pseudo labels.

On the sign-language digit photos (ImageNet EfficientNet-Lite0 features, the app's default
queue, 3 seeds; ``benchmarks/real_photos.py``): 54.5% -> 65.4% with 2 labels per class,
71.3% -> 75.3% with 5 and 84.9% -> 86.6% with 20, and the worst class's recall rises with it
(5.2% -> 16.3% at 2 per class).

Tried and not kept: a second round, its pseudo labels chosen by the refitted probe with the
propagated labels, at share 0.8 (10 seeds, paired, self-training's accuracy at 2 and 5
labels per class). On balanced sets it gained: sign-language photos +0.7 +- 0.3 and +0.6 +-
0.1 with random picks, +0.1 and +0.8 with the queue's; 3,000 Fashion-MNIST photos +1.6, +1.1,
+1.2, +1.0 (+- 0.2). On the unbalanced real-photo pool of benchmarks/simulated_labeler.py
(60 seeds, class shares 26% ... 4%) it lost 2.0 / 2.7 / 1.7 points at 20 / 50 / 100 labels
with the queue's picks, 1.2 / 1.5 / 1.3 with random ones, and 3.6 points of worst-class
recall at 100: an even split at twice the share makes a rare class take images of others.
On that pool one round at share 0.25 or 0.6 did no better than 0.4 (accuracy at 100 labels
with the queue's picks 84.5 and 84.5 against 84.8, worst-class recall 44.1 and 40.9 against
45.8). Nor did another regularization (10 seeds, paired, both balanced sets): C = 10 or 1000
for both fits instead of 100 moved the accuracy at 2 and 5 labels per class by -1.0 to +0.5,
C = 10 for the refit alone by +0.1 to +0.3.

The output is uncalibrated (temperature 1): callers that need calibrated probabilities fit a
temperature on held-out labels (see
:func:`simclr_core.fewlabel.classifier_selection.train_best_classifier`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse

from simclr_core.fewlabel.label_propagation import propagate_labels
from simclr_core.fewlabel.linear_probe import LinearProbe, PowerNormalizer, fit_linear_probe

DEFAULT_SHARE = 0.4
DEFAULT_MAX_PER_CLASS = 1000  # bounds the refit: at most classes x 1,000 training rows


def choose_pseudo_labels(
    probabilities: np.ndarray,
    labeled_indices: np.ndarray,
    share: float = DEFAULT_SHARE,
    max_per_class: int = DEFAULT_MAX_PER_CLASS,
) -> tuple[np.ndarray, np.ndarray]:
    """The unlabeled images to pseudo-label and their classes: per predicted class, the most
    confident ``n = min(max_per_class, round(share * unlabeled / classes))`` (fewer where the
    class is predicted for fewer images). Only classes that have a label are considered.

    Shapes: probabilities (N, num_classes) -> indices (M,), classes (M,).
    """
    probabilities = np.asarray(probabilities)
    unlabeled = np.ones(len(probabilities), dtype=bool)
    unlabeled[np.asarray(labeled_indices, dtype=np.int64)] = False
    classes = np.flatnonzero(probabilities.max(axis=0) > 0)
    if len(classes) == 0 or not unlabeled.any():
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    per_class = min(max_per_class, round(share * unlabeled.sum() / len(classes)))
    predicted = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)
    chosen = []
    for label in classes:
        members = np.flatnonzero(unlabeled & (predicted == label))
        chosen.append(members[np.argsort(-confidence[members], kind="stable")[:per_class]])
    indices = np.concatenate(chosen).astype(np.int64)
    return indices, predicted[indices].astype(np.int64)


def fit_self_trained_probe(
    features: np.ndarray,
    labeled_indices: np.ndarray,
    labels: np.ndarray,
    num_classes: int,
    graph: scipy.sparse.csr_matrix,
    share: float = DEFAULT_SHARE,
    max_per_class: int = DEFAULT_MAX_PER_CLASS,
    scaler: PowerNormalizer | None = None,
) -> LinearProbe:
    """One round of self-training over every image (see the module's docstring).

    Shapes: features (N, dim), labeled_indices and labels (L,), graph (N, N) from
    :func:`simclr_core.fewlabel.label_propagation.build_knn_graph` over the same features;
    ``scaler``, the :class:`PowerNormalizer` of the features if already fitted.

    Raises:
        ValueError: if there are no labels or labels fall outside [0, num_classes).
    """
    labeled_indices = np.asarray(labeled_indices, dtype=np.int64)
    labels = np.asarray(labels, dtype=np.int64)
    scaler = PowerNormalizer.fit(features) if scaler is None else scaler
    probe = fit_linear_probe(
        features[labeled_indices], labels, num_classes, calibrate=False, scaler=scaler
    )
    propagated = propagate_labels(graph, labeled_indices, labels, num_classes)
    combined = _unit_sum(probe.predict_probabilities(features)) + _unit_sum(propagated)
    combined[:, np.setdiff1d(np.arange(num_classes), labels)] = 0.0  # only classes with labels
    extra, guesses = choose_pseudo_labels(combined, labeled_indices, share, max_per_class)
    rows = np.concatenate([labeled_indices, extra])
    return fit_linear_probe(
        features[rows], np.concatenate([labels, guesses]), num_classes, calibrate=False,
        scaler=scaler,
    )  # fmt: skip


def _unit_sum(probabilities: np.ndarray) -> np.ndarray:
    rows = np.asarray(probabilities, dtype=np.float64)
    return np.asarray(rows / np.maximum(rows.sum(axis=1, keepdims=True), 1e-12))
