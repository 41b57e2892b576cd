"""Label-error finder benchmark: labels flipped on purpose, flags scored against the truth.

For each representation set, a random labeled subset gets 5% or 20% of its labels flipped to
another class; the app's own classifier selection (linear probe and label propagation,
cross-validated, as on a CPU worker) gives the out-of-fold probabilities, and
``simclr_core.curation.label_errors`` flags suspects and decides whether the model is good enough to
show them. Strong: ImageNet-pretrained EfficientNet-Lite0 features with many labels. Weak: a
randomly initialised encoder, or only 10 labels per class. Prints one table; "shown" is what
a person would see (a warning instead of a list when the model is not good enough), and the
"plain joint" columns are the previous finder (every off-diagonal image of the confident
joint) for comparison.

    python -m benchmarks.photo_features --device cuda   # once, where a GPU is
    python -m benchmarks.label_errors [--features benchmarks/results/features] [--seeds 3]
"""

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.photo_features import DEFAULT_FOLDER, load_features
from simclr_core.curation.label_errors import (
    assess_model,
    assign_confident_classes,
    find_label_issues,
)
from simclr_core.fewlabel.classifier_selection import train_best_classifier

# (name, data set, encoder, labeled images; None = all of them)
SCENARIOS = (
    ("CIFAR-10, Lite0, 1000 labels", "cifar", "efficientnet", 1000),
    ("photos, Lite0, 1000 labels", "photos", "efficientnet", 1000),
    ("CIFAR-10, Lite0, 100 labels", "cifar", "efficientnet", 100),
    ("photos, Lite0, 100 labels", "photos", "efficientnet", 100),
    ("CIFAR-10, random init, 1000", "cifar", "random_init", 1000),
    ("photos, random init, 1000", "photos", "random_init", 1000),
)
NOISE_RATES = (0.05, 0.2)


@dataclass(frozen=True)
class Outcome:
    accuracy: float
    shown: bool
    flags: int
    true_flags: int
    flipped: int
    plain_flags: int
    plain_true: int


def flip_labels(truth: np.ndarray, rate: float, classes: int, rng: np.random.Generator):
    """A copy of ``truth`` with ``rate`` of it moved to a random other class, and which."""
    flipped = rng.choice(len(truth), round(rate * len(truth)), replace=False)
    labels = truth.copy()
    labels[flipped] = (truth[flipped] + rng.integers(1, classes, len(flipped))) % classes
    return labels, np.isin(np.arange(len(truth)), flipped)


def reduce_dimensions(features: np.ndarray, dimensions: int) -> np.ndarray:
    """The top principal components: the linear probe's inner cross-validation on 1,280-d
    features takes minutes per run on a shared CPU, and 128 components keep its accuracy."""
    centred = features - features.mean(axis=0)
    _, _, directions = np.linalg.svd(centred, full_matrices=False)
    return np.asarray(centred @ directions[:dimensions].T, dtype=np.float32)


def run_once(features: np.ndarray, truth: np.ndarray, labeled: int, rate: float, seed: int):
    rng = np.random.default_rng(seed)
    classes = int(truth.max()) + 1
    per_class = labeled // classes
    chosen = np.concatenate(
        [rng.choice(np.flatnonzero(truth == c), per_class, replace=False) for c in range(classes)]
    )
    labels, wrong = flip_labels(truth[chosen], rate, classes, rng)
    report = train_best_classifier(features, chosen, labels, classes, seed=seed)
    issues = find_label_issues(labels, report.out_of_fold)
    assessment = assess_model(labels, report.out_of_fold, issues)
    flagged = np.array([issue.index for issue in issues], dtype=np.int64)
    plain = assign_confident_classes(labels, report.out_of_fold)
    plain_flagged = (plain >= 0) & (plain != labels)
    return Outcome(
        accuracy=assessment.accuracy,
        shown=assessment.reliable,
        flags=len(flagged),
        true_flags=int(wrong[flagged].sum()),
        flipped=int(wrong.sum()),
        plain_flags=int(plain_flagged.sum()),
        plain_true=int((plain_flagged & wrong).sum()),
    )


def ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}" if denominator else "  - "


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--features", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--only", default="", help="run the scenarios whose name holds this")
    parser.add_argument("--dimensions", type=int, default=128, help="principal components kept")
    arguments = parser.parse_args()
    header = (
        "| scenario | noise | acc. unflagged | shown | flags | precision | recall |"
        " false flags shown |"
        " plain joint: flags | precision |"
    )
    print(header)
    print("|" + "---|" * 10)
    for name, data, encoder, labeled in SCENARIOS:
        if arguments.only not in name:
            continue
        loaded = load_features(arguments.features, data, encoder)
        originals = loaded["source"] < 0 if "source" in loaded else np.ones(len(loaded["h"]), bool)
        features = reduce_dimensions(
            loaded["h"][originals].astype(np.float32), arguments.dimensions
        )
        truth = loaded["labels"][originals].astype(np.int64)
        for rate in NOISE_RATES:
            runs = [
                run_once(features, truth, labeled, rate, seed) for seed in range(arguments.seeds)
            ]
            flags = sum(r.flags for r in runs)
            true_flags = sum(r.true_flags for r in runs)
            false_shown = sum(r.flags - r.true_flags for r in runs if r.shown)
            print(
                f"| {name} | {rate:.0%} | {np.mean([r.accuracy for r in runs]):.2f} "
                f"| {sum(r.shown for r in runs)}/{len(runs)} | {flags / len(runs):.1f} "
                f"| {ratio(true_flags, flags)} | {ratio(true_flags, sum(r.flipped for r in runs))} "
                f"| {false_shown / len(runs):.1f} "
                f"| {sum(r.plain_flags for r in runs) / len(runs):.1f} "
                f"| {ratio(sum(r.plain_true for r in runs), sum(r.plain_flags for r in runs))} |",
                flush=True,
            )
    print(
        "\nflags, false flags shown: mean per run over the seeds; precision and recall pooled "
        "over the seeds; shown: runs in which the model was judged good enough to list flags."
    )


if __name__ == "__main__":
    main()
