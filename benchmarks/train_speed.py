"""How long the Train job's classifier step takes on a large project, on this machine.

A synthetic pool of N images with 1,280-dimensional h (EfficientNet-Lite0's width; 10 classes,
non-negative like pooled ReLU features) and 2 labels per class goes through
``train_best_classifier`` with the default methods, as the train child runs it:

- "first job": no stored neighbours, so the kNN graph is built (what every job did before
  the neighbours were stored; run this row alone on an older checkout with ``--first-only``
  and ``PYTHONPATH=<checkout>`` for the baseline);
- "later job": the neighbours read back from the project's cache (``knn_graph``), as every
  Train after the first on the same representations does.

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/train_speed.py --images 100000
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simclr_core.fewlabel.classifier_selection import train_best_classifier


def pool(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, count)
    centres = rng.normal(0, 0.2, (10, 1280)).astype(np.float32)
    features = np.maximum(centres[labels] + rng.normal(size=(count, 1280)).astype(np.float32), 0)
    labeled = np.concatenate([np.flatnonzero(labels == label)[:2] for label in range(10)])
    return features, labeled, labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--first-only", action="store_true", help="for an older checkout")
    args = parser.parse_args()
    features, labeled, labels = pool(args.images)
    rows = []
    started = time.monotonic()
    first = train_best_classifier(features, labeled, labels[labeled], 10)
    rows.append(("first job (kNN graph built)", time.monotonic() - started, first))
    if not args.first_only:
        from labelapp.learning.training_process import knn_graph
        from simclr_core.progress import ignore_progress

        with tempfile.TemporaryDirectory() as folder:
            started = time.monotonic()
            knn_graph(features, Path(folder), "cpu", ignore_progress)
            rows.append(("finding and storing the neighbours", time.monotonic() - started, None))
            started = time.monotonic()
            graph = knn_graph(features, Path(folder), "cpu", ignore_progress)
            later = train_best_classifier(features, labeled, labels[labeled], 10, graph=graph)
            rows.append(("later job (neighbours read back)", time.monotonic() - started, later))
    print(f"{args.images:,} images x 1,280, 20 labels, default methods")
    print("| step | seconds | method | accuracy on the unlabeled |")
    print("|---|---|---|---|")
    unlabeled = np.setdiff1d(np.arange(len(labels)), labeled)
    for name, seconds, report in rows:
        accuracy = ""
        if report is not None:
            right = report.probabilities[unlabeled].argmax(1) == labels[unlabeled]
            accuracy = f"{100 * right.mean():.1f}%"
        method = report.method if report is not None else ""
        print(f"| {name} | {seconds:.0f} | {method} | {accuracy} |")


if __name__ == "__main__":
    main()
