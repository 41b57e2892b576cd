"""How far the dashboard's accuracy figures are from the truth as a person labels on.

Runs the app's own queue (``select_default``; random picks with ``--picks random``; the
least sure images by margin, a strategy a user can choose, with ``--picks margin``) and
classifier choice (``train_best_classifier``) on the real photos' representations (frozen
EfficientNet-Lite0 with the flip average, cached by ``benchmarks/real_photos.py``): 20
typical picks, train, then batches of 30, each followed by a train, as the dashboard asks. At
each stop it prints the two figures the dashboard shows, the cross-validated accuracy on the
labels and the accuracy expected on the unlabeled photos (``expected_accuracy``, shown from 5
labels per class), beside the accuracy on the photos nobody labeled (what the user gets), and
how often the truth fell inside the range the dashboard gives (``expected_accuracy_range``).
``--accept 0.95`` measures the model trained after accepting the predictions at >= 0.95 as
labels (they train it but are not scored), as on the Accept predictions page; as in the app,
its figures are over the photos no person labeled, accepted ones included
(``--over-unlabeled-left``: over those left unlabeled, the app's rule before). ``--unbalanced``
draws the pool as benchmarks/simulated_labeler.py does (class shares 26% ... 4%).
``--class-picks-calibrate no`` leaves the default queue's class picks out of calibration.
As in the app, labels of images picked as the least sure are scored but do not calibrate the
expected accuracy, which is withheld below 5 labels per class that do ("withheld" counts
those runs); the last column is the estimate calibrated on every scored label, as before that rule.
A second table checks the Accept predictions page (without ``--accept``): of the unlabeled
photos whose prediction is at least 0.7 or 0.9 confident, the share it says is likely right
(the calibration map summed over them) beside the share that is right.

    .venv/bin/python benchmarks/real_photos.py --datasets sign_digits --starts frozen \\
        --strategies random --methods linear --seeds 1   # caches the representations
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/estimate_bias.py --seeds 12
"""

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.simulated_labeler import draw_unbalanced
from labelapp.learning.training_process import ESTIMATE_LABELS_PER_CLASS
from simclr_core.curation.selection import (
    select_default,
    select_random,
    select_uncertain,
)
from simclr_core.curation.strategies import UNCERTAINTY_MEASURES
from simclr_core.fewlabel.calibration import (
    calibration_map,
    expected_accuracy,
    expected_accuracy_range,
)
from simclr_core.fewlabel.classifier_selection import ClassifierReport, train_best_classifier

CACHE = Path("var/real_photos")


def measure(
    report: ClassifierReport,
    trained: np.ndarray,
    given: np.ndarray,
    scored: np.ndarray,
    calibrating: np.ndarray,
    truth: np.ndarray,
    over_person: bool = False,
) -> tuple[float, float | None, float, bool, float]:
    """The dashboard's two figures (the expected accuracy None where the app withholds it),
    the truth on the images the model did not train on, whether the truth is inside the
    range shown, and the expected accuracy calibrated on every scored label."""
    # the photos nobody labeled, or (over_person) no person: accepted predictions count in
    unlabeled = np.setdiff1d(np.arange(len(truth)), trained[scored] if over_person else trained)
    predicted = report.probabilities[unlabeled]
    true = float((predicted.argmax(1) == truth[unlabeled]).mean())
    cross_validated = report.cross_validated_accuracy[report.method]
    others = report.for_estimate()[unlabeled]
    every = expected_accuracy(report.out_of_fold[scored], given[scored], others) or 0.0
    calibrating = scored & calibrating
    if calibrating.sum() < ESTIMATE_LABELS_PER_CLASS * report.probabilities.shape[1]:
        return cross_validated, None, true, False, every
    calibration = (report.out_of_fold[calibrating], given[calibrating], others)
    expected = expected_accuracy(*calibration) or 0.0
    low, high = expected_accuracy_range(*calibration) or (0.0, 0.0)
    return cross_validated, expected, true, low <= true <= high, every


ACCEPT_THRESHOLDS = (0.7, 0.9)


def measure_accepting(
    report: ClassifierReport, labeled: np.ndarray, calibrating: np.ndarray, truth: np.ndarray
) -> list[tuple[int, float, float]] | None:
    """Per threshold of ACCEPT_THRESHOLDS: how many unlabeled photos the Accept predictions
    page would label, the share of them it says are likely right, and the share that are;
    None where the app withholds the estimate."""
    if calibrating.sum() < ESTIMATE_LABELS_PER_CLASS * report.probabilities.shape[1]:
        return None
    unlabeled = np.setdiff1d(np.arange(len(truth)), labeled)
    held_out, given = report.out_of_fold[calibrating], truth[labeled][calibrating]
    knots = calibration_map(held_out, given, report.probabilities[unlabeled])
    assert knots is not None
    probabilities = report.probabilities[unlabeled]
    confidence = probabilities.max(1)
    right = probabilities.argmax(1) == truth[unlabeled]
    rows = []
    for threshold in ACCEPT_THRESHOLDS:
        taken = confidence >= threshold
        likely = float(np.interp(confidence[taken], *knots).mean()) if taken.any() else np.nan
        rows.append(
            (int(taken.sum()), likely, float(right[taken].mean()) if taken.any() else np.nan)
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--stops", default="20,30,50,80,100,150", help="labels to compare at")
    parser.add_argument("--picks", choices=["default", "random", "margin"], default="default")
    parser.add_argument("--unbalanced", action="store_true", help="class shares 26%% ... 4%%")
    parser.add_argument(
        "--over-unlabeled-left", action="store_true",
        help="with --accept: estimate and score over the photos left unlabeled (the app's "
        "rule before it took every photo no person labeled)",
    )  # fmt: skip
    parser.add_argument(
        "--class-picks-calibrate", choices=["yes", "no"], default="yes",
        help="whether the default queue's class picks calibrate the estimate",
    )  # fmt: skip
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
    figures: dict[int, list[tuple[float, float | None, float, bool, float]]] = {
        stop: [] for stop in stops
    }
    accepting_figures: dict[int, list[list[tuple[int, float, float]] | None]] = {
        stop: [] for stop in stops
    }
    all_h, all_y = h, y
    for seed in range(args.seeds):
        if args.unbalanced:
            pool = draw_unbalanced({"train_h": all_h, "train_y": all_y}, seed)
            h, y = pool["train_h"], pool["train_y"]
        labeled = np.array([pick.index for pick in select_default(h, [], 50, seed=seed)[:20]])
        calibrating = np.ones(20, bool)  # False for images picked as the least sure
        report = train_best_classifier(h, labeled, y[labeled], classes)
        for stop in stops:
            while len(labeled) < stop:
                count = min(30, stop - len(labeled))
                if args.picks == "random":
                    picks = select_random(len(h), labeled, count, seed=seed + len(labeled))
                elif args.picks == "margin":
                    picks = select_uncertain(report.probabilities, labeled, count, "margin")
                else:
                    probabilities = report.probabilities
                    picks = select_default(
                        h, labeled, 50, probabilities, seed=seed, labels=y[labeled]
                    )
                labeled = np.concatenate([labeled, [pick.index for pick in picks[:count]]])
                least_sure = [
                    pick.strategy in UNCERTAINTY_MEASURES
                    or (args.class_picks_calibrate == "no" and " had only " in pick.reason)
                    for pick in picks[:count]
                ]
                calibrating = np.concatenate([calibrating, ~np.array(least_sure, bool)])
                report = train_best_classifier(h, labeled, y[labeled], classes)
            if args.accept is not None:  # accept the confident predictions, then train again
                rest = np.setdiff1d(np.arange(len(y)), labeled)
                confident = rest[report.probabilities[rest].max(1) >= args.accept]
                trained = np.concatenate([labeled, confident])
                given = np.concatenate([y[labeled], report.probabilities[confident].argmax(1)])
                scored = np.arange(len(trained)) < len(labeled)
                accepted = train_best_classifier(h, trained, given, classes, scored=scored)
                calibrates = np.concatenate([calibrating, np.zeros(len(confident), bool)])
                figures[stop].append(
                    measure(
                        accepted,
                        trained,
                        given,
                        scored,
                        calibrates,
                        y,
                        over_person=not args.over_unlabeled_left,
                    )
                )
            else:
                everything = np.ones(len(labeled), bool)
                figures[stop].append(
                    measure(report, labeled, y[labeled], everything, calibrating, y)
                )
                accepting_figures[stop].append(measure_accepting(report, labeled, calibrating, y))
    accepting = "" if args.accept is None else f", predictions at >= {args.accept} accepted"
    accepting += ", unbalanced pool" if args.unbalanced else ""
    accepting += ", over the photos left unlabeled" if args.over_unlabeled_left else ""
    accepting += ", class picks not calibrating" if args.class_picks_calibrate == "no" else ""
    print(
        f"{args.picks} picks{accepting}, {args.seeds} seeds; gap = figure - truth, "
        "mean (standard deviation)"
    )
    print(
        "| labels | cross-validated on the labels | expected on the unlabeled | truth | in range "
        "| withheld | expected, every label calibrating |"
    )
    print("|---|---|---|---|---|---|---|")
    for stop, rows in figures.items():
        truth = 100 * np.array([row[2] for row in rows])
        cells = []
        for column in (0, 1, 4):
            shown = [row[column] is not None for row in rows]
            values = 100 * np.array([row[column] for row in rows if row[column] is not None])
            gap = values - truth[np.array(shown)]
            cells.append(
                f"{values.mean():.1f} ({gap.mean():+.1f}, {gap.std():.1f})" if any(shown) else "—"
            )
        withheld = sum(row[1] is None for row in rows)
        # of the runs that showed a range: a withheld estimate is neither in nor out
        inside = (
            f"{sum(row[3] for row in rows)}/{len(rows) - withheld}" if withheld < len(rows) else "—"
        )
        print(
            f"| {stop} | {cells[0]} | {cells[1]} | {truth.mean():.1f} | {inside} | {withheld} "
            f"| {cells[2]} |"
        )
    if args.accept is None:
        print_accepting(accepting_figures)


def print_accepting(figures: dict[int, list[list[tuple[int, float, float]] | None]]) -> None:
    print("\nAccept predictions page: of the unlabeled photos at or above the threshold, % said")
    print("likely right and % right; gap = said - right, mean (standard deviation) over seeds")
    print("| labels | threshold | photos | said likely right | right | gap | withheld |")
    print("|---|---|---|---|---|---|---|")
    for stop, runs in figures.items():
        shown = [run for run in runs if run is not None]
        for column, threshold in enumerate(ACCEPT_THRESHOLDS):
            rows = np.array([run[column] for run in shown], dtype=float).reshape(-1, 3)
            rows = rows[~np.isnan(rows).any(axis=1)]
            if len(rows) == 0:
                print(f"| {stop} | {threshold} | — | — | — | — | {len(runs) - len(shown)} |")
                continue
            gap = 100 * (rows[:, 1] - rows[:, 2])
            print(
                f"| {stop} | {threshold} | {rows[:, 0].mean():.0f} | {100 * rows[:, 1].mean():.1f} "
                f"| {100 * rows[:, 2].mean():.1f} | {gap.mean():+.1f} ({gap.std():.1f}) "
                f"| {len(runs) - len(shown)} |"
            )


if __name__ == "__main__":
    main()
