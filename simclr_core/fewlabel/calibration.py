"""Probability calibration: temperature scaling, expected calibration error, and the accuracy
to expect on unlabeled images."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.isotonic import IsotonicRegression
from sklearn.model_selection import KFold, StratifiedKFold

TEMPERATURE_GRID = np.exp(np.linspace(np.log(0.02), np.log(50.0), 200))


def expected_calibration_error(
    probabilities: np.ndarray, labels: np.ndarray, num_bins: int = 15
) -> float:
    """Expected calibration error (Guo et al., 2017) with equal-width confidence bins.

    ECE = sum_b (|B_b| / N) * |accuracy(B_b) - mean confidence(B_b)|, where confidence is the
    top-class probability and bin b covers (b/num_bins, (b+1)/num_bins] (bin 0 includes 0).

    Shapes: probabilities (N, num_classes), labels (N,) ints.

    Raises:
        ValueError: on an empty input or mismatched lengths.
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    labels = np.asarray(labels)
    if probabilities.ndim != 2 or len(probabilities) == 0 or len(probabilities) != len(labels):
        raise ValueError("expected (N, num_classes) probabilities and N labels, N > 0")
    confidence = probabilities.max(axis=1)
    correct = (probabilities.argmax(axis=1) == labels).astype(np.float64)
    bins = np.clip(np.ceil(confidence * num_bins).astype(int) - 1, 0, num_bins - 1)
    accuracy_sum = np.bincount(bins, weights=correct, minlength=num_bins)
    confidence_sum = np.bincount(bins, weights=confidence, minlength=num_bins)
    return float(np.abs(accuracy_sum - confidence_sum).sum() / len(labels))


def expected_accuracy(
    held_out: np.ndarray, labels: np.ndarray, probabilities: np.ndarray
) -> float | None:
    """The accuracy to expect on images nobody labeled, from the model's confidence on them.

    Isotonic regression (Zadrozny & Elkan, 2002) maps a held-out prediction's top-class
    probability to how often such a prediction was right; the mean of that map over the top
    probabilities of ``probabilities`` is the estimate. Unlike the held-out accuracy itself,
    it does not assume the labeled images are like the others: an active-learning queue picks
    images the model is unsure of, and on the unbalanced real-photo pool
    (benchmarks/estimate_bias.py, 12 seeds) cross-validated accuracy fell 5 to 9 points below
    the accuracy on the unlabeled photos at 100 to 150 labels. It cannot see past the labels'
    confidences (the regression holds its end values), so labels taken only among the least
    sure images leave it low; the default queue's typical picks cover the rest.

    The queue also gives the rare classes more labels than their share, and a prediction of a
    class the model knows less well is right less often at the same confidence, so each
    label is weighted (:func:`label_shift_weights`) by the square root of how much more often
    the unlabeled images are predicted as its (held-out) predicted class than the labels
    were: importance weights flattened (Shimodaira, 2000), which trade a little of the
    correction for less variance. On that pool (8 seeds of the default queue) the estimate
    went from 2.3, 3.9 and 3.7 points below the truth at 100, 150 and 250 labels to 0.8, 2.0
    and 1.7 below (full weights: +0.7, -0.8, -0.6, but 1 more of 48 runs outside the range
    and the accept page's "likely right" 2 points high at 150 labels); on the balanced pool
    (12 seeds) from -2.0 and +0.0 at 100 and 150 labels to -2.8 and -0.1: a little lower.

    Shapes: held_out (n, classes) out-of-fold probabilities of the labels (n,);
    probabilities (m, classes). None when n or m is 0.
    """
    points = _calibration_points(held_out, labels, probabilities)
    return None if points is None else _mean_calibrated(*points)


def label_shift_weights(held_out: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """A weight per label (rows of ``held_out``): the square root of the share of
    ``probabilities``' rows predicted as the label's predicted class over the share of
    ``held_out``'s rows predicted as it (without the root, the weighted labels would be
    predicted as the other images are). Each class counts one more predicted image among the
    others than it has, so that no label weighs nothing (a class none of the few images left
    is predicted as) and a resample of the labels always has weight to fit."""
    classes = held_out.shape[1]
    predicted = held_out.argmax(axis=1)
    among_labels = np.bincount(predicted, minlength=classes) / len(held_out)
    others = np.bincount(probabilities.argmax(axis=1), minlength=classes) + 1.0
    return np.asarray(np.sqrt(others[predicted] / others.sum() / among_labels[predicted]))


def expected_accuracy_range(
    held_out: np.ndarray,
    labels: np.ndarray,
    probabilities: np.ndarray,
    resamples: int = 200,
    seed: int = 0,
    sample: int = 5000,
) -> tuple[float, float] | None:
    """The 5th and 95th percentiles of :func:`expected_accuracy` over bootstrap resamples of
    the labels (on at most ``sample`` of the images, for speed).

    It shows how far the few labels leave the estimate open, not the whole uncertainty: on
    benchmarks/estimate_bias.py with the app's queue (12 seeds of the balanced pool at 100 and
    150 labels, 8 of the unbalanced one at 100, 150 and 250) the truth fell inside in 39 of
    48 runs, about 4 in 5 (31 of 48 before the labels were weighted, and 0 of 8 on the
    unbalanced pool at 250 labels). A resample keeps each label's weight (the weights are
    not worked out again from its class shares). Same shapes as :func:`expected_accuracy`;
    None when it is None.
    """
    points = _calibration_points(held_out, labels, probabilities)
    if points is None:
        return None
    confidence, right, others, weights = points
    rng = np.random.default_rng(seed)
    if len(others) > sample:
        others = rng.choice(others, sample, replace=False)
    estimates = []
    for _ in range(resamples):
        rows = rng.integers(0, len(right), len(right))
        estimates.append(_mean_calibrated(confidence[rows], right[rows], others, weights[rows]))
    low, high = np.percentile(estimates, [5, 95])
    return float(low), float(high)


def _calibration_points(
    held_out: np.ndarray, labels: np.ndarray, probabilities: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """(held-out confidence, whether it was right, the others' confidence, the labels'
    weights), or None when there are no labels or no other images.

    Raises:
        ValueError: when the two sets of probabilities have different numbers of classes.
    """
    held_out, probabilities = np.asarray(held_out), np.asarray(probabilities)
    if held_out.ndim != 2 or probabilities.ndim != 2 or held_out.shape[1] != probabilities.shape[1]:
        raise ValueError(
            f"probabilities of {held_out.shape} and {probabilities.shape}: not the same classes"
        )
    if len(labels) == 0 or len(probabilities) == 0:
        return None
    right = (held_out.argmax(axis=1) == np.asarray(labels)).astype(np.float64)
    weights = label_shift_weights(held_out, probabilities)
    return held_out.max(axis=1), right, probabilities.max(axis=1), weights


def calibration_map(
    held_out: np.ndarray, labels: np.ndarray, probabilities: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """The map :func:`expected_accuracy` averages, as knots (confidence, how often a prediction
    that confident was right, both ascending): ``np.interp(confidence, *knots)`` is the chance
    that a prediction of an unlabeled image is right (e.g. to say how many of the predictions
    above a threshold are), weighted to the others' classes. Shapes as in
    :func:`expected_accuracy`; None without labels or without other images."""
    points = _calibration_points(held_out, labels, probabilities)
    return None if points is None else _fit_map(points[0], points[1], points[3])


def _fit_map(
    confidence: np.ndarray, right: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Knots of the isotonic map (Zadrozny & Elkan, 2002) from ``confidence`` to ``right``,
    each point weighted; linear between them and held at the ends, as
    ``IsotonicRegression.predict`` reads it."""
    curve = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    curve.fit(confidence, right, sample_weight=weights)
    return curve.X_thresholds_, curve.y_thresholds_


def _mean_calibrated(
    confidence: np.ndarray, right: np.ndarray, others: np.ndarray, weights: np.ndarray
) -> float:
    """The mean over ``others`` of the weighted isotonic map from ``confidence`` to ``right``."""
    return float(np.interp(others, *_fit_map(confidence, right, weights)).mean())


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """Temperature scaling (Guo et al., 2017): the T minimizing the NLL of softmax(logits / T).

    Searched on a log-spaced grid from 0.02 to 50, which is robust for the handful of held-out
    labels a few-label classifier has. Shapes: logits (N, num_classes), labels (N,).

    Raises:
        ValueError: if there are no labels.
    """
    if len(labels) == 0:
        raise ValueError("fit_temperature needs at least one labeled example")
    scores = torch.as_tensor(np.asarray(logits), dtype=torch.float64)
    targets = torch.as_tensor(np.asarray(labels), dtype=torch.int64)
    losses = [float(F.cross_entropy(scores / t, targets)) for t in TEMPERATURE_GRID]
    return float(TEMPERATURE_GRID[int(np.argmin(losses))])


def apply_temperature(logits: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(logits / temperature) as float32; shapes (N, num_classes) -> same."""
    scores = torch.as_tensor(np.asarray(logits), dtype=torch.float64) / temperature
    return torch.softmax(scores, dim=1).numpy().astype(np.float32)


def probabilities_to_logits(probabilities: np.ndarray, floor: float = 1e-6) -> np.ndarray:
    """log(p), with p floored, for calibrating classifiers that output probabilities."""
    return np.log(np.clip(np.asarray(probabilities, dtype=np.float64), floor, None))


def fit_temperature_by_cross_validation(
    labels: np.ndarray,
    fit_and_score: Callable[[np.ndarray, np.ndarray], np.ndarray],
    max_folds: int = 5,
    seed: int = 0,
) -> float:
    """Fit a temperature on out-of-fold logits of a few-label classifier.

    ``fit_and_score(train_indices, held_out_indices)`` trains on the labels at
    ``train_indices`` and returns (len(held_out_indices), num_classes) logits for the held-out
    ones. Folds are stratified when every class has two labels or more. With fewer than
    4 labels there is nothing to hold out and the temperature is 1.
    """
    labels = np.asarray(labels)
    if len(labels) < 4:
        return 1.0
    smallest_class = int(np.bincount(labels)[np.unique(labels)].min())
    if smallest_class >= 2:
        splitter: KFold | StratifiedKFold = StratifiedKFold(
            min(max_folds, smallest_class), shuffle=True, random_state=seed
        )
    else:
        splitter = KFold(min(max_folds, len(labels)), shuffle=True, random_state=seed)
    held_out_logits: list[np.ndarray] = []
    held_out_labels: list[np.ndarray] = []
    for train_indices, held_out in splitter.split(np.zeros(len(labels)), labels):
        held_out_logits.append(fit_and_score(train_indices, held_out))
        held_out_labels.append(labels[held_out])
    return fit_temperature(np.concatenate(held_out_logits), np.concatenate(held_out_labels))
