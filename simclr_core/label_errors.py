"""Label-error finder: labels that confidently disagree with out-of-fold predictions.

Confident learning (Northcutt, Jiang & Chuang, 2021), in numpy: the threshold of class ``j`` is
the mean predicted probability of ``j`` over the images labeled ``j`` (its mean
self-confidence). An image counts as confidently class ``j`` when ``p_j >= t_j`` (the highest
such ``j`` if several). The confident joint ``C[given, confident]`` counts those; its
off-diagonal images are the suspected label errors, ranked for review by normalised margin
``p_suggested - p_given`` (most convincing first).

Predictions must be out-of-fold: a model that saw an image's label will mostly agree with it.
:func:`predict_out_of_fold` makes them with a k-fold logistic regression on representations.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

FloatArray = NDArray[np.float64]
LabelArray = NDArray[np.int64]


@dataclass(frozen=True)
class LabelIssue:
    """A suspected wrong label: the image ``index``, its ``given_label``, the class the
    out-of-fold model confidently sees instead, both probabilities, and a reason for the UI."""

    index: int
    given_label: int
    suggested_label: int
    given_probability: float
    suggested_probability: float
    reason: str


def compute_class_thresholds(
    labels: NDArray[np.integer], probabilities: NDArray[np.floating]
) -> FloatArray:
    """Per-class thresholds ``(classes,)``: mean self-confidence of the images given that class.

    A class nobody is labeled with gets threshold ``inf`` (no image is confidently in it).
    """
    labels, probabilities = _validate(labels, probabilities)
    class_count = probabilities.shape[1]
    totals = np.bincount(
        labels, weights=probabilities[np.arange(len(labels)), labels], minlength=class_count
    )
    counts = np.bincount(labels, minlength=class_count)
    thresholds = np.full(class_count, np.inf)
    present = counts > 0
    thresholds[present] = totals[present] / counts[present]
    return thresholds


def assign_confident_classes(
    labels: NDArray[np.integer], probabilities: NDArray[np.floating]
) -> LabelArray:
    """The confident class of each image ``(images,)``, or ``-1`` where no class reaches its
    threshold: the most probable of the classes with ``p_j >= t_j``."""
    labels, probabilities = _validate(labels, probabilities)
    above = probabilities >= compute_class_thresholds(labels, probabilities)[None, :]
    confident = np.argmax(np.where(above, probabilities, -np.inf), axis=1)
    return np.where(above.any(axis=1), confident, -1).astype(np.int64)


def estimate_confident_joint(
    labels: NDArray[np.integer], probabilities: NDArray[np.floating]
) -> LabelArray:
    """Confident joint ``(classes, classes)``: counts of ``(given label, confident class)``."""
    labels, probabilities = _validate(labels, probabilities)
    class_count = probabilities.shape[1]
    confident = assign_confident_classes(labels, probabilities)
    counted = confident >= 0
    joint = np.zeros((class_count, class_count), dtype=np.int64)
    np.add.at(joint, (labels[counted], confident[counted]), 1)
    return joint


def find_label_issues(
    labels: NDArray[np.integer],
    probabilities: NDArray[np.floating],
    class_names: Sequence[str] | None = None,
) -> list[LabelIssue]:
    """Images in the off-diagonal of the confident joint, most convincing first.

    Shapes: labels ``(images,)`` ints in ``[0, classes)``; probabilities ``(images, classes)``,
    out-of-fold. Raises ``ValueError`` on mismatched shapes or labels out of range.
    """
    labels, probabilities = _validate(labels, probabilities)
    names = class_names or [f"class {number}" for number in range(probabilities.shape[1])]
    confident = assign_confident_classes(labels, probabilities)
    suspects = np.flatnonzero((confident >= 0) & (confident != labels))
    given = probabilities[suspects, labels[suspects]]
    suggested = probabilities[suspects, confident[suspects]]
    order = np.argsort(given - suggested, kind="stable")
    issues = []
    for index, given_probability, suggested_probability in zip(
        suspects[order], given[order], suggested[order], strict=True
    ):
        given_name, suggested_name = names[labels[index]], names[confident[index]]
        reason = (
            f"labeled {given_name}, but the model says {suggested_name} "
            f"{suggested_probability:.2f} ({given_name} {given_probability:.2f})"
        )
        issues.append(
            LabelIssue(
                int(index),
                int(labels[index]),
                int(confident[index]),
                float(given_probability),
                float(suggested_probability),
                reason,
            )
        )
    return issues


def predict_out_of_fold(
    representations: NDArray[np.floating],
    labels: NDArray[np.integer],
    fold_count: int = 5,
    seed: int = 0,
    regularization: float = 1.0,
) -> FloatArray:
    """Out-of-fold class probabilities ``(images, classes)`` from k-fold multinomial logistic
    regression on L2-normalised representations ``(images, dim)``; each image is predicted by
    a model that never saw its label. Classes are ``0 .. max(labels)``.

    Raises ``ValueError`` when fewer than two images or classes are labeled.
    """
    points = np.asarray(representations, dtype=np.float64)
    points = points / np.maximum(np.linalg.norm(points, axis=1, keepdims=True), 1e-12)
    labels = np.asarray(labels, dtype=np.int64)
    class_count = int(labels.max()) + 1
    if len(labels) < 2 or len(np.unique(labels)) < 2:
        raise ValueError("out-of-fold predictions need at least two labeled images of two classes")
    splits = min(fold_count, int(np.bincount(labels)[np.unique(labels)].max()), len(labels))
    probabilities = np.zeros((len(labels), class_count))
    folds = StratifiedKFold(n_splits=max(2, splits), shuffle=True, random_state=seed)
    for train, held_out in folds.split(points, labels):
        if len(np.unique(labels[train])) == 1:  # a tiny set can leave one class in a fold
            probabilities[held_out, labels[train][0]] = 1.0
            continue
        model = LogisticRegression(C=regularization, max_iter=1000)
        # unit vectors have tiny coordinates; scaling by 10 makes C=1 a sensible prior
        model.fit(points[train] * 10.0, labels[train])
        probabilities[np.ix_(held_out, model.classes_)] = model.predict_proba(
            points[held_out] * 10.0
        )
    return probabilities


def _validate(
    labels: NDArray[np.integer], probabilities: NDArray[np.floating]
) -> tuple[LabelArray, FloatArray]:
    given = np.asarray(labels, dtype=np.int64)
    predicted = np.asarray(probabilities, dtype=np.float64)
    if predicted.ndim != 2 or given.shape != (len(predicted),):
        raise ValueError(f"labels {given.shape} and probabilities {predicted.shape} do not match")
    if len(given) and (given.min() < 0 or given.max() >= predicted.shape[1]):
        raise ValueError(f"labels must be in [0, {predicted.shape[1]})")
    return given, predicted
