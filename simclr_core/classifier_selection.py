"""Choose the few-label classifier that does best on held-out labels, then apply it.

The candidates are the paper's linear probe on h and label propagation over the kNN graph
of h (which lets the unlabeled images help). Each is scored by k-fold cross-validation on
the labeled images only; the winner is refitted on every label and gives calibrated
probabilities for every image. The out-of-fold probabilities are returned too: they are an
honest quality estimate and what the label-error finder needs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold

from simclr_core.calibration import expected_calibration_error
from simclr_core.label_propagation import build_knn_graph, label_propagation_probabilities
from simclr_core.linear_probe import fit_linear_probe

METHODS = ("linear_probe", "label_propagation")
# Fits on (training positions into the labeled arrays) and returns probabilities of every image.
Fitter = Callable[[np.ndarray], np.ndarray]


@dataclass
class ClassifierReport:
    method: str
    probabilities: np.ndarray  # (N, num_classes) for every image
    out_of_fold: np.ndarray  # (num_labeled, num_classes), each from a model that did not see it
    cross_validated_accuracy: dict[str, float] = field(default_factory=dict)
    folds: int = 0


def train_best_classifier(
    features: np.ndarray,
    labeled_indices: np.ndarray,
    labels: np.ndarray,
    num_classes: int,
    methods: Sequence[str] = METHODS,
    max_folds: int = 5,
    seed: int = 0,
) -> ClassifierReport:
    """Cross-validate each method, keep the best, and predict every image with it.

    Shapes: features (N, dim); labeled_indices and labels (num_labeled,).

    Raises:
        ValueError: with fewer than two labels, or an unknown method.
    """
    labeled_indices, labels = np.asarray(labeled_indices), np.asarray(labels)
    if len(labels) < 2:
        raise ValueError("at least two labeled images are needed to train a classifier")
    fitters = {
        name: _fitter(name, features, labeled_indices, labels, num_classes) for name in methods
    }
    folds = _folds(labels, max_folds, seed)
    out_of_fold = {name: _out_of_fold(fitter, folds, labeled_indices, len(labels), num_classes)
                   for name, fitter in fitters.items()}  # fmt: skip
    accuracy = {
        name: float((probabilities.argmax(1) == labels).mean())
        for name, probabilities in out_of_fold.items()
    }
    best = max(methods, key=lambda name: (accuracy[name], -methods.index(name)))
    everything = np.arange(len(labels))
    return ClassifierReport(
        method=best,
        probabilities=fitters[best](everything).astype(np.float32),
        out_of_fold=out_of_fold[best].astype(np.float32),
        cross_validated_accuracy=accuracy,
        folds=len(folds),
    )


def summarize_quality(
    out_of_fold: np.ndarray, labels: np.ndarray, num_classes: int
) -> dict[str, object]:
    """Accuracy, per-class accuracy, confusion matrix (true x predicted) and calibration."""
    predicted = out_of_fold.argmax(1)
    confusion = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    totals = confusion.sum(1)
    per_class = [
        float(confusion[c, c] / totals[c]) if totals[c] else None for c in range(num_classes)
    ]
    return {
        "accuracy": float((predicted == labels).mean()),
        "per_class_accuracy": per_class,
        "confusion_matrix": confusion.tolist(),
        "expected_calibration_error": expected_calibration_error(out_of_fold, labels),
    }


def _fitter(
    name: str, features: np.ndarray, labeled_indices: np.ndarray, labels: np.ndarray,
    num_classes: int,
) -> Fitter:  # fmt: skip
    if name == "linear_probe":

        def fit_probe(train: np.ndarray) -> np.ndarray:
            probe = fit_linear_probe(
                features[labeled_indices[train]], labels[train], num_classes,
                unlabeled_features=features,
            )  # fmt: skip
            return probe.predict_probabilities(features)

        return fit_probe
    if name == "label_propagation":
        graph = build_knn_graph(features, neighbors=min(20, len(features) - 1))

        def fit_propagation(train: np.ndarray) -> np.ndarray:
            return label_propagation_probabilities(
                graph, labeled_indices[train], labels[train], num_classes
            )

        return fit_propagation
    raise ValueError(f"unknown classifier {name!r}; use one of {METHODS}")


def _folds(labels: np.ndarray, max_folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    smallest_class = int(np.bincount(labels)[np.unique(labels)].min())
    if smallest_class >= 2:
        splitter: KFold | StratifiedKFold = StratifiedKFold(
            min(max_folds, smallest_class), shuffle=True, random_state=seed
        )
        return list(splitter.split(labels, labels))
    splitter = KFold(min(max_folds, len(labels)), shuffle=True, random_state=seed)
    return list(splitter.split(labels))


def _out_of_fold(
    fitter: Fitter, folds: list[tuple[np.ndarray, np.ndarray]], labeled_indices: np.ndarray,
    count: int, num_classes: int,
) -> np.ndarray:  # fmt: skip
    result = np.zeros((count, num_classes), dtype=np.float64)
    for train, held_out in folds:
        result[held_out] = fitter(train)[labeled_indices[held_out]]
    return result
