"""Choose the few-label classifier that does best on held-out labels, then apply it.

The candidates are self-training (a linear probe refitted with its most confident guesses on
the unlabeled images, :mod:`simclr_core.fewlabel.self_training`; first, so it is kept unless
another is clearly better), the paper's linear probe on h, label propagation over the kNN
graph of h (which lets the unlabeled images help), and fine-tuning the encoder on the labels
(the paper's semi-supervised protocol; it needs the images and the encoder, see
:class:`FineTuneInputs`). Each is scored by k-fold cross-validation on the labeled images
only; the winner is refitted on every label and gives calibrated probabilities for every
image. The out-of-fold probabilities are returned too: they are an honest quality estimate
and what the label-error finder needs.

Labels a model produced (accepted predictions) train the final model but no fold, and only
the labels marked ``scored`` (those a person gave) are scored: the model's own answers would
otherwise inflate the estimate they are judged by, both as easy labels to score and, in
training, as a copy of the held-out labels the model that made them had seen. For the same
reason the accuracy to expect on the unlabeled images reads a model of the people's labels
alone (:meth:`ClassifierReport.for_estimate`).
"""

from __future__ import annotations

import itertools
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import scipy.sparse
import torch
from sklearn.model_selection import KFold, StratifiedKFold

from simclr_core.fewlabel.calibration import (
    apply_temperature,
    expected_calibration_error,
    fit_temperature,
    probabilities_to_logits,
)
from simclr_core.fewlabel.fine_tune import FineTuneConfig, FineTunedClassifier, fine_tune
from simclr_core.fewlabel.label_propagation import build_knn_graph, label_propagation_probabilities
from simclr_core.fewlabel.linear_probe import LinearProbe, PowerNormalizer, fit_linear_probe
from simclr_core.fewlabel.methods import ALL_METHODS, CALIBRATED_HERE, DEFAULT_METHODS
from simclr_core.fewlabel.self_training import fit_self_trained_probe
from simclr_core.progress import CancelCheck, Progress, ignore_progress, never_cancel
from simclr_core.ssl.encoder import Encoder

METHODS = DEFAULT_METHODS  # the default candidates
# Fits on (training positions into the labeled arrays) and returns the probabilities of the
# images at (positions into the features), or of every image when that is None.
Fitter = Callable[[np.ndarray, np.ndarray | None], np.ndarray]
# count(method, done, total): folds of a cheap method, optimizer steps of fine-tuning.
MethodCounter = Callable[[str, int, int], None]


@dataclass(frozen=True)
class FineTuneInputs:
    """What fine-tuning needs beyond h: the encoder and the images, row i for features[i].

    ``images`` uint8 (N, 3, H, W), indexable by position (a memory-mapped array works);
    ``rows`` maps feature positions to rows of ``images`` when they differ.
    """

    encoder: Encoder
    images: np.ndarray
    rows: np.ndarray | None = None
    config: FineTuneConfig = field(default_factory=FineTuneConfig)
    device: str = "cpu"
    should_cancel: CancelCheck = never_cancel


@dataclass
class ClassifierReport:
    method: str
    probabilities: np.ndarray  # (N, num_classes) for every image
    out_of_fold: np.ndarray  # (num_labeled, num_classes), each from a model that did not see it
    scored: np.ndarray  # (num_labeled,) bool: the labels the accuracies were measured on
    cross_validated_accuracy: dict[str, float] = field(default_factory=dict)
    folds: int = 0
    # The winner refitted on every label (None for label propagation, which is no function
    # of one image), and the temperature calibrating fine-tuning's outputs, if fitted.
    model: LinearProbe | FineTunedClassifier | None = None
    calibration: float | None = None
    # When labels not scored (accepted predictions) trained ``probabilities`` and at least
    # two were scored: the same method trained on the scored labels alone, (N, num_classes),
    # what the accuracy to expect on the unlabeled images is estimated from (:meth:`for_estimate`).
    from_people: np.ndarray | None = None

    def for_estimate(self) -> np.ndarray:
        """The probabilities whose confidence the expected accuracy averages: those of a model
        trained on the labels a person gave, as the folds were. The model that also trained
        on accepted predictions is more confident on the images left than the folds' map
        from confidence to accuracy knows: on benchmarks/estimate_bias.py (--accept 0.95, 12
        seeds, 50/100/150 labels) its confidence read +2.9/+7.0/+2.8 points above the truth,
        this model's -0.2/-5.9/-4.1 (it errs low: the final model is a little better)."""
        return self.probabilities if self.from_people is None else self.from_people


def train_best_classifier(
    features: np.ndarray,
    labeled_indices: np.ndarray,
    labels: np.ndarray,
    num_classes: int,
    methods: Sequence[str] = METHODS,
    max_folds: int = 5,
    seed: int = 0,
    fine_tune_inputs: FineTuneInputs | None = None,
    scored: np.ndarray | None = None,
    progress: Progress = ignore_progress,
    graph: scipy.sparse.csr_matrix | None = None,
) -> ClassifierReport:
    """Cross-validate each method, keep the best, and predict every image with it.

    Shapes: features (N, dim); labeled_indices, labels and scored (num_labeled,).
    ``scored`` (bool, default all True) marks the labels a person gave: only those train the
    folds (:func:`_folds_for_people`), every label gets an out-of-fold probability and
    trains the final model, and accuracies (and the temperature of methods calibrated
    here) are measured on the scored ones only; with none scored the
    accuracies are empty and the first method is kept. With at least two scored labels and
    some not, the winner is also fitted on the scored ones alone (``from_people``, what the
    expected accuracy reads). :func:`choose_method` picks the
    method from the accuracies. ``progress`` hears "Cross-validating <method>" as each
    method starts and as its folds (or, for fine-tuning, its optimizer steps) finish, each
    method an equal share of the fraction, with the time left at the method's pace.
    ``graph``: the kNN graph of the features (:func:`build_knn_graph`), when the caller has
    it; otherwise it is built here (once, if a method needs it), the costliest step with many
    images.

    Raises:
        ValueError: with fewer than two labels, an unknown method, or "fine_tune" without
            ``fine_tune_inputs``.
        TrainingCancelled: when fine-tuning sees ``should_cancel()``.
    """
    labeled_indices, labels = np.asarray(labeled_indices), np.asarray(labels)
    if len(labels) < 2:
        raise ValueError("at least two labeled images are needed to train a classifier")
    scored = np.ones(len(labels), bool) if scored is None else np.asarray(scored, bool)
    if scored.shape != labels.shape:
        raise ValueError("scored must have one entry per label")
    methods = list(methods)
    folds = _folds_for_people(labels, scored, max_folds, seed)
    fitted: dict[str, LinearProbe | FineTunedClassifier] = {}  # each method's latest model
    count = _method_progress(methods, progress)
    shared = _Shared(features, labeled_indices, labels, num_classes, fitted, graph)
    # the folds, a model of the people's labels alone when others train too, and the final one
    people_alone = scored.sum() >= 2 and not scored.all()
    fits = len(folds) + 1 + int(people_alone)
    fitters = {
        name: _fitter(name, shared, fine_tune_inputs, _step_counter(name, fits, count))
        for name in methods
    }
    out_of_fold: dict[str, np.ndarray] = {}
    for name, fitter in fitters.items():
        count(name, 0, 1)
        out_of_fold[name] = _out_of_fold(
            fitter, folds, labeled_indices, len(labels), num_classes,
            _ignore_folds if name == "fine_tune" else partial(count, name),  # counts steps
        )  # fmt: skip
    correct = {
        name: probabilities[scored].argmax(1) == labels[scored]
        for name, probabilities in out_of_fold.items()
    }
    accuracy = (
        {name: float(right.mean()) for name, right in correct.items()} if scored.any() else {}
    )
    best = choose_method(methods, correct)
    from_people = None  # fitted before the final model: the fitters keep their latest one
    if people_alone:
        from_people = fitters[best](np.flatnonzero(scored), None)
    probabilities = fitters[best](np.arange(len(labels)), None)
    held_out = out_of_fold[best]
    temperature = None
    model = fitted.get(best)
    if best in CALIBRATED_HERE and scored.any():
        temperature = fit_temperature(probabilities_to_logits(held_out[scored]), labels[scored])
        held_out = apply_temperature(probabilities_to_logits(held_out), temperature)
        if from_people is not None:
            from_people = apply_temperature(probabilities_to_logits(from_people), temperature)
        if isinstance(model, LinearProbe):  # self-training: the probe carries its temperature
            model.temperature, temperature = temperature, None
            probabilities = model.predict_probabilities(features)
        else:
            probabilities = apply_temperature(probabilities_to_logits(probabilities), temperature)
    return ClassifierReport(
        method=best,
        probabilities=probabilities.astype(np.float32),
        out_of_fold=held_out.astype(np.float32),
        scored=scored,
        cross_validated_accuracy=accuracy,
        folds=len(folds),
        model=model,
        calibration=temperature,
        from_people=None if from_people is None else from_people.astype(np.float32),
    )


def choose_method(methods: Sequence[str], correct: dict[str, np.ndarray]) -> str:
    """The first method, unless another got more held-out labels right by more than 1.5
    standard errors of the paired difference; then the best of them.

    With 20 labels, cross-validation folds hold 1 or 2 labels per class and a method's
    accuracy moves 5 points per image: the first method (the one the benchmarks show best,
    see :data:`METHODS`) is kept unless the evidence against it is more than noise.
    ``correct[name]`` is a bool per scored label (the same labels for every method).
    """
    first = methods[0]
    if len(correct.get(first, ())) < 2:
        return first
    leader = max(methods, key=lambda name: (correct[name].mean(), -methods.index(name)))
    difference = correct[leader].astype(np.float64) - correct[first]
    standard_error = difference.std(ddof=1) / np.sqrt(len(difference))
    return leader if difference.mean() > 1.5 * standard_error else first


def summarize_quality(
    out_of_fold: np.ndarray, labels: np.ndarray, num_classes: int
) -> dict[str, object]:
    """Accuracy, per-class accuracy, confusion matrix (true x predicted) and calibration.

    Shapes: out_of_fold (n, num_classes), labels (n,); with n = 0 every figure is None.
    """
    if len(labels) == 0:
        return {"accuracy": None, "per_class_accuracy": [None] * num_classes,
                "confusion_matrix": None, "expected_calibration_error": None}  # fmt: skip
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


def _ignore_folds(done: int, total: int) -> None:
    """Fine-tuning reports its optimizer steps instead (see :func:`_step_counter`)."""


def _method_progress(methods: list[str], progress: Progress) -> MethodCounter:
    """``count(method, done, total)`` as ``progress``: each method an equal share of the
    fraction; the time left is the method running now's, from its pace, and, for each method
    still to come, the mean time of the methods so far (this one's projected)."""
    started: dict[str, float] = {}

    def count(name: str, done: int, total: int) -> None:
        now = time.monotonic()
        started.setdefault(name, now)
        pace = (now - started[name]) / max(done, 1)
        unit = "optimizer steps" if name == "fine_tune" else "fits"
        eta = None
        if done > 1:
            position = methods.index(name)
            times = [
                started[after] - started[before]
                for before, after in itertools.pairwise(methods[: position + 1])
                if before in started
            ]
            times.append(pace * total)
            eta = round(
                pace * (total - done) + (len(methods) - position - 1) * float(np.mean(times)), 1
            )
        progress(
            (methods.index(name) + done / total) / len(methods),
            f"Cross-validating {name.replace('_', ' ')}"
            + (f": {done}/{total} {unit}" if done else ""),
            eta_seconds=eta,
        )

    return count


def _step_counter(name: str, fits: int, on_progress: MethodCounter) -> Callable[[int], None]:
    """Reports fine-tuning's optimizer steps over all ``fits`` fits (each fold, the scored
    labels alone when some are not, then all)."""
    done = 0

    def count(steps_per_fit: int) -> None:
        nonlocal done
        done += 1
        on_progress(name, done, fits * steps_per_fit)

    return count


@dataclass
class _Shared:
    """What every candidate's fits read: the labeled data, each method's latest model, and the
    features' kNN graph and normalizer, each made once, on first use."""

    features: np.ndarray
    labeled_indices: np.ndarray
    labels: np.ndarray
    num_classes: int
    fitted: dict[str, LinearProbe | FineTunedClassifier]
    _graph: scipy.sparse.csr_matrix | None = None
    _scaler: PowerNormalizer | None = None

    @property
    def graph(self) -> scipy.sparse.csr_matrix:
        if self._graph is None:
            self._graph = build_knn_graph(self.features)
        return self._graph

    @property
    def scaler(self) -> PowerNormalizer:
        if self._scaler is None:
            self._scaler = PowerNormalizer.fit(self.features)
        return self._scaler

    def probabilities(self, probe: LinearProbe, predict: np.ndarray | None) -> np.ndarray:
        features = self.features if predict is None else self.features[predict]
        return probe.predict_probabilities(features)


def _fitter(
    name: str, shared: _Shared, fine_tune_inputs: FineTuneInputs | None,
    count_step: Callable[[int], None] = lambda steps_per_fit: None,
) -> Fitter:  # fmt: skip
    features, indices, labels = shared.features, shared.labeled_indices, shared.labels
    if name == "linear_probe":

        def fit_probe(train: np.ndarray, predict: np.ndarray | None) -> np.ndarray:
            probe = fit_linear_probe(
                features[indices[train]], labels[train], shared.num_classes, scaler=shared.scaler
            )
            shared.fitted[name] = probe
            return shared.probabilities(probe, predict)

        return fit_probe
    if name == "self_training":

        def fit_self_training(train: np.ndarray, predict: np.ndarray | None) -> np.ndarray:
            probe = fit_self_trained_probe(
                features, indices[train], labels[train], shared.num_classes, shared.graph,
                scaler=shared.scaler,
            )  # fmt: skip
            shared.fitted[name] = probe
            return shared.probabilities(probe, predict)

        return fit_self_training
    if name == "label_propagation":

        def fit_propagation(train: np.ndarray, predict: np.ndarray | None) -> np.ndarray:
            everything = label_propagation_probabilities(
                shared.graph, indices[train], labels[train], shared.num_classes
            )
            return everything if predict is None else everything[predict]

        return fit_propagation
    if name == "fine_tune":
        if fine_tune_inputs is None:
            raise ValueError("fine-tuning needs the images and the encoder (fine_tune_inputs)")
        return _fine_tune_fitter(fine_tune_inputs, len(features), indices, labels,
                                 shared.num_classes, count_step, shared.fitted)  # fmt: skip
    raise ValueError(f"unknown classifier {name!r}; use one of {ALL_METHODS}")


def _fine_tune_fitter(
    inputs: FineTuneInputs, count: int, labeled_indices: np.ndarray, labels: np.ndarray,
    num_classes: int, count_step: Callable[[int], None],
    fitted: dict[str, LinearProbe | FineTunedClassifier],
) -> Fitter:  # fmt: skip
    rows = np.arange(count) if inputs.rows is None else np.asarray(inputs.rows)

    def should_cancel() -> bool:
        # fine_tune asks once before every optimizer step: the question doubles as a tick.
        count_step(inputs.config.steps)
        return inputs.should_cancel()

    def images_at(positions: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(inputs.images[rows[positions]]))

    def fit_fine_tune(train: np.ndarray, predict: np.ndarray | None) -> np.ndarray:
        model = fine_tune(
            inputs.encoder, images_at(labeled_indices[train]),
            torch.as_tensor(labels[train]), num_classes, inputs.config, inputs.device,
            should_cancel,
        )  # fmt: skip
        fitted["fine_tune"] = model
        wanted = np.arange(count) if predict is None else predict
        chunks = [
            model.predict_probabilities(images_at(wanted[start : start + 4096]),
                                        device=inputs.device)
            for start in range(0, len(wanted), 4096)
        ]  # fmt: skip
        return np.concatenate(chunks) if chunks else np.zeros((0, num_classes), np.float32)

    return fit_fine_tune


def _folds_for_people(
    labels: np.ndarray, scored: np.ndarray, max_folds: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Folds of the scored labels; the others (accepted predictions) are held out of every
    fold's training and spread over the folds' held-out parts, so each still gets an
    out-of-fold probability. With fewer than two scored labels, folds of every label.

    An accepted prediction came from a model that saw every label a person gave, the held-out
    ones too: trained on in a fold it leaks them. On benchmarks/estimate_bias.py (12 seeds,
    predictions at >= 0.95 accepted at 50, 100 and 150 labels) cross-validation then read
    13 to 19 points above the truth, the expected accuracy 8 to 14.
    """
    people = np.flatnonzero(scored)
    if len(people) < 2:
        return _folds(labels, max_folds, seed)
    others = np.array_split(np.flatnonzero(~scored), min(max_folds, len(people)))
    return [
        (people[train], np.sort(np.concatenate([people[held_out], extra])))
        for (train, held_out), extra in zip(
            _folds(labels[people], max_folds, seed), others, strict=True
        )
    ]


def _folds(labels: np.ndarray, max_folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``max_folds`` folds (fewer only with fewer labels), stratified when a class has enough
    labels for it; a class with fewer labels than folds lands in as many folds as it has.

    The folds no longer shrink to the smallest class's count: with a rare class of 2 labels
    that made 2 folds, each training on half the labels, and on the unbalanced real-photo pool
    (benchmarks/estimate_bias.py, 12 seeds) the estimate fell 10 points below the truth at 30
    labels and 2 to 3 at 50; with 5 folds 1 point and 0.4.
    """
    folds = min(max_folds, len(labels))
    if int(np.bincount(labels).max()) >= folds:
        with warnings.catch_warnings():  # "the least populated class has only n members"
            warnings.simplefilter("ignore", UserWarning)
            splitter: KFold | StratifiedKFold = StratifiedKFold(
                folds, shuffle=True, random_state=seed
            )
            return list(splitter.split(labels, labels))
    splitter = KFold(folds, shuffle=True, random_state=seed)
    return list(splitter.split(labels))


def _out_of_fold(
    fitter: Fitter, folds: list[tuple[np.ndarray, np.ndarray]], labeled_indices: np.ndarray,
    count: int, num_classes: int, on_fold: Callable[[int, int], None] = lambda done, total: None,
) -> np.ndarray:  # fmt: skip
    """Out-of-fold probabilities; ``on_fold(done, total)`` counts the refit on all as one."""
    result = np.zeros((count, num_classes), dtype=np.float64)
    for index, (train, held_out) in enumerate(folds):
        result[held_out] = fitter(train, labeled_indices[held_out])
        on_fold(index + 1, len(folds) + 1)
    return result
