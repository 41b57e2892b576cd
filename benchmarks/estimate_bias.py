"""How far the dashboard's cross-validated accuracy is from the truth as a person labels on.

Runs the app's own queue (``select_default``) and classifier choice (``train_best_classifier``)
on the real photos' representations (frozen EfficientNet-Lite0 with the flip average, cached
by ``benchmarks/real_photos.py``): 20 typical picks, train, then batches of 30 from the queue,
each followed by a train, as the dashboard asks. At each stop it prints the cross-validated
accuracy of the chosen method (what the dashboard shows) beside its accuracy on the photos
nobody labeled (what the user gets). ``--typical-half-at 0.5`` tries the least-sure share of
commit 8f9b657 (reverted: its estimate was 22 points low at 50 labels).

    .venv/bin/python benchmarks/real_photos.py --datasets sign_digits --starts frozen \\
        --strategies random --methods linear --seeds 1   # caches the representations
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/estimate_bias.py --seeds 4
"""

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simclr_core.curation.selection import select_default
from simclr_core.fewlabel.classifier_selection import train_best_classifier

CACHE = Path("var/real_photos")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--stops", default="50,100,150", help="labels at which to compare")
    parser.add_argument("--typical-half-at", type=float, default=None)
    args = parser.parse_args()
    h = np.load(CACHE / "sign_digits_efficientnet_lite0_frozen_None_None_flip.npy")
    y = np.load(CACHE / "sign_digits_224_None.npz")["labels"]
    classes, stops = int(y.max()) + 1, [int(stop) for stop in args.stops.split(",")]
    extra = {} if args.typical_half_at is None else {"typical_half_at": args.typical_half_at}
    gaps: dict[int, list[tuple[float, float]]] = {stop: [] for stop in stops}
    for seed in range(args.seeds):
        labeled = np.array([pick.index for pick in select_default(h, [], 50, seed=seed)[:20]])
        report = train_best_classifier(h, labeled, y[labeled], classes)
        for stop in stops:
            while len(labeled) < stop:
                picks = select_default(
                    h, labeled, 50, report.probabilities, seed=seed, labels=y[labeled], **extra
                )[: min(30, stop - len(labeled))]
                labeled = np.concatenate([labeled, [pick.index for pick in picks]])
                report = train_best_classifier(h, labeled, y[labeled], classes)
            unlabeled = np.setdiff1d(np.arange(len(y)), labeled)
            true = float((report.probabilities[unlabeled].argmax(1) == y[unlabeled]).mean())
            gaps[stop].append((report.cross_validated_accuracy[report.method], true))
    print("| labels | cross-validated estimate | on the unlabeled photos | gap (worst seed) |")
    print("|---|---|---|---|")
    for stop, rows in gaps.items():
        table = 100 * np.array(rows)
        gap = table[:, 0] - table[:, 1]
        print(
            f"| {stop} | {table[:, 0].mean():.1f} | {table[:, 1].mean():.1f} "
            f"| {gap.mean():+.1f} ({gap.min():+.1f}) |"
        )


if __name__ == "__main__":
    main()
