"""How far the dashboard's accuracy figures are from the truth as a person labels on.

Runs the app's own queue (``select_default``, or random picks with ``--picks random``) and
classifier choice (``train_best_classifier``) on the real photos' representations (frozen
EfficientNet-Lite0 with the flip average, cached by ``benchmarks/real_photos.py``): 20
typical picks, train, then batches of 30, each followed by a train, as the dashboard asks. At
each stop it prints the two figures the dashboard shows, the cross-validated accuracy on the
labels and the accuracy expected on the unlabeled photos (``expected_accuracy``, shown from 5
labels per class), beside the accuracy on the photos nobody labeled (what the user gets), and
how often the truth fell inside the range the dashboard gives (``expected_accuracy_range``).
``--accept 0.95`` measures the model trained after accepting the predictions at >= 0.95 as
labels (they train it but are not scored), as on the Accept predictions page.

    .venv/bin/python benchmarks/real_photos.py --datasets sign_digits --starts frozen \\
        --strategies random --methods linear --seeds 1   # caches the representations
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/estimate_bias.py --seeds 12
"""

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simclr_core.curation.selection import select_default, select_random
from simclr_core.fewlabel.calibration import expected_accuracy, expected_accuracy_range
from simclr_core.fewlabel.classifier_selection import ClassifierReport, train_best_classifier

CACHE = Path("var/real_photos")


def measure(
    report: ClassifierReport,
    trained: np.ndarray,
    given: np.ndarray,
    scored: np.ndarray | None,
    truth: np.ndarray,
) -> tuple[float, float, float, bool]:
    """The dashboard's two figures, the truth on the images the model did not train on, and
    whether the truth is inside the range shown."""
    scored = np.ones(len(trained), bool) if scored is None else scored
    unlabeled = np.setdiff1d(np.arange(len(truth)), trained)
    predicted = report.probabilities[unlabeled]
    calibration = (report.out_of_fold[scored], given[scored], report.for_estimate()[unlabeled])
    expected = expected_accuracy(*calibration) or 0.0
    low, high = expected_accuracy_range(*calibration) or (0.0, 0.0)
    true = float((predicted.argmax(1) == truth[unlabeled]).mean())
    cross_validated = report.cross_validated_accuracy[report.method]
    return cross_validated, expected, true, low <= true <= high


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--stops", default="20,30,50,80,100,150", help="labels to compare at")
    parser.add_argument("--picks", choices=["default", "random"], default="default")
    parser.add_argument(
        "--accept",
        type=float,
        default=None,
        help="at each stop, accept the predictions at "
        "this confidence or more as labels (not scored), train again, and measure that model",
    )
    args = parser.parse_args()
    h = np.load(CACHE / "sign_digits_efficientnet_lite0_frozen_None_None_flip.npy")
    y = np.load(CACHE / "sign_digits_224_None.npz")["labels"]
    classes, stops = int(y.max()) + 1, [int(stop) for stop in args.stops.split(",")]
    figures: dict[int, list[tuple[float, float, float, bool]]] = {stop: [] for stop in stops}
    for seed in range(args.seeds):
        labeled = np.array([pick.index for pick in select_default(h, [], 50, seed=seed)[:20]])
        report = train_best_classifier(h, labeled, y[labeled], classes)
        for stop in stops:
            while len(labeled) < stop:
                count = min(30, stop - len(labeled))
                if args.picks == "random":
                    picks = select_random(len(h), labeled, count, seed=seed + len(labeled))
                else:
                    probabilities = report.probabilities
                    picks = select_default(
                        h, labeled, 50, probabilities, seed=seed, labels=y[labeled]
                    )
                labeled = np.concatenate([labeled, [pick.index for pick in picks[:count]]])
                report = train_best_classifier(h, labeled, y[labeled], classes)
            if args.accept is not None:  # accept the confident predictions, then train again
                rest = np.setdiff1d(np.arange(len(y)), labeled)
                confident = rest[report.probabilities[rest].max(1) >= args.accept]
                trained = np.concatenate([labeled, confident])
                given = np.concatenate([y[labeled], report.probabilities[confident].argmax(1)])
                scored = np.arange(len(trained)) < len(labeled)
                accepted = train_best_classifier(h, trained, given, classes, scored=scored)
                figures[stop].append(measure(accepted, trained, given, scored, y))
            else:
                figures[stop].append(measure(report, labeled, y[labeled], None, y))
    accepting = "" if args.accept is None else f", predictions at >= {args.accept} accepted"
    print(
        f"{args.picks} picks{accepting}, {args.seeds} seeds; gap = figure - truth, "
        "mean (standard deviation)"
    )
    print(
        "| labels | cross-validated on the labels | expected on the unlabeled | truth | in range |"
    )
    print("|---|---|---|---|---|")
    for stop, rows in figures.items():
        table = 100 * np.array(rows)
        cells = []
        for column in (0, 1):
            gap = table[:, column] - table[:, 2]
            cells.append(f"{table[:, column].mean():.1f} ({gap.mean():+.1f}, {gap.std():.1f})")
        inside = f"{int(table[:, 3].sum() / 100)}/{len(rows)}"
        print(f"| {stop} | {cells[0]} | {cells[1]} | {table[:, 2].mean():.1f} | {inside} |")


if __name__ == "__main__":
    main()
