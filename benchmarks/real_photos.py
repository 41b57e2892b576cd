"""Few-label accuracy on real photos: which backbone, which start, which classifier, which picks.

The photos are treated as a user's upload: every photo of the set (train and test split) is
unlabeled, labels are taken a few per class, and accuracy is scored on the photos left
unlabeled ("unlabeled") and, for comparison with the published baseline, on the test split
("test", labels never picked from it for the "random" rows). For each backbone:

* frozen: ImageNet-pretrained EfficientNet-Lite features at the backbone's resolution;
* simclr: SimCLR continued from those weights on all the photos (the app's Pretrain job);
* random-init SimCLR, today's CPU preset from scratch, as the before.

and for each: random picks (k per class, stratified, like the baseline) and the app's default
strategy (k x classes picks in rounds of one per class, no class information), then a linear
probe, label propagation, self-training and the app's choice among them ("auto"); with
``--methods ...,fine_tune`` also fine-tuning the whole encoder on the picked photos (the
paper's semi-supervised protocol; minutes per fit on a CPU, so not in the default list, and
``--per-class`` can keep the run short; frozen starts only). Wall time of every step is
printed. Representations are cached under ``var/real_photos`` so that reruns only redo what
changed.

    .venv/bin/python benchmarks/real_photos.py --datasets sign_digits --backbones efficientnet_lite0

``--datasets fashion_mnist --limit 150`` scores 3,000 Fashion-MNIST product photos (28 px,
grey, balanced; the only clothing set here), read from Debian's package
(``apt-get install dataset-fashion-mnist``; ``FASHION_MNIST_DIR`` points elsewhere).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tarfile
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.datasets import datasets_directory
from benchmarks.photo_features import FASHION_FOLDER, fashion_installed, read_fashion
from simclr_core.curation.selection import select_batch
from simclr_core.fewlabel.classifier_selection import train_best_classifier
from simclr_core.fewlabel.fine_tune import FineTuneConfig, fine_tune
from simclr_core.fewlabel.label_propagation import (
    build_knn_graph,
    label_propagation_probabilities,
)
from simclr_core.fewlabel.linear_probe import fit_linear_probe
from simclr_core.fewlabel.self_training import fit_self_trained_probe
from simclr_core.ssl.encoder import (
    Encoder,
    EncoderConfig,
    build_encoder,
    native_resolution,
    pretrained_encoder_config,
)
from simclr_core.ssl.extract import extract_representations
from simclr_core.ssl.pretrain import pretrain
from simclr_core.ssl.pretrain_config import cpu_preset, pretrained_continuation_preset

ARCHIVES = {"sign_digits": "sign-digits-jpeg.tar.gz", "cifar10": "cifar10-jpeg.tar.gz"}
FASHION_CLASSES = ("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
                   "sneaker", "bag", "ankle boot")  # fmt: skip
CACHE = Path("var/real_photos")
PER_CLASS = [1, 2, 5, 20]
Cells = dict[int, tuple[float, float, float]]  # labels per class -> mean, std, test mean


def load_photos(name: str, side: int, limit_per_class: int | None) -> dict[str, np.ndarray]:
    """Every photo of the archive as uint8 (N, 3, side, side): shorter side to ``side``, then
    the centre crop, as the app decodes; with the class and whether it is in the test split."""
    cached = CACHE / f"{name}_{side}_{limit_per_class}.npz"
    if cached.exists():
        return dict(np.load(cached))
    images, classes, test = [], [], []
    taken: dict[str, int] = {}
    for split, class_name, picture in _pictures(name):
        key = f"{split}/{class_name}"
        if limit_per_class is not None and taken.get(key, 0) >= limit_per_class:
            continue
        taken[key] = taken.get(key, 0) + 1
        square = ImageOps.fit(picture.convert("RGB"), (side, side), Image.Resampling.BICUBIC)
        images.append(np.asarray(square, dtype=np.uint8).transpose(2, 0, 1))
        classes.append(class_name)
        test.append(split == "test")
    names = sorted(set(classes))
    result = {
        "images": np.stack(images),
        "labels": np.array([names.index(c) for c in classes], dtype=np.int64),
        "test": np.array(test),
        "class_names": np.array(names),
    }
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(cached, **result)
    return result


def _pictures(name: str) -> Iterator[tuple[str, str, Image.Image]]:
    """(split, class, picture) of every photo of the set, in the archive's order."""
    if name == "fashion_mnist":  # Debian's dataset-fashion-mnist (28 px grey product photos)
        if not fashion_installed():
            raise SystemExit(
                f"Fashion-MNIST is not in {FASHION_FOLDER}: apt-get install dataset-fashion-mnist"
                " (or set FASHION_MNIST_DIR to a folder with its four .gz files)"
            )
        for split, prefix in (("train", "train"), ("test", "t10k")):
            pixels, labels = read_fashion(prefix)
            for grey, label in zip(pixels, labels, strict=True):
                yield split, FASHION_CLASSES[label], Image.fromarray(grey)
        return
    with tarfile.open(datasets_directory() / ARCHIVES[name], "r:gz") as archive:
        for member in archive:
            parts = member.name.split("/")
            if len(parts) != 3 or not member.isfile() or parts[0] not in ("train", "test"):
                continue
            data = archive.extractfile(member)
            assert data is not None
            with Image.open(io.BytesIO(data.read())) as photo:
                photo.load()
                yield parts[0], parts[1], photo


def timed(label: str, timings: dict[str, float]):  # type: ignore[no-untyped-def]
    class Timer:
        def __enter__(self) -> None:
            self.start = time.perf_counter()

        def __exit__(self, *exc: object) -> None:
            timings[label] = time.perf_counter() - self.start
            print(f"  {label}: {timings[label]:.1f} s", flush=True)

    return Timer()


def representations_for(
    dataset: str,
    images: np.ndarray,
    variant: str,
    args: argparse.Namespace,
    timings: dict[str, float],
) -> tuple[np.ndarray, Encoder | None]:
    """h of every photo for one variant: '<backbone>/frozen', '<backbone>/simclr' or
    'random_init/simclr'; with the encoder when it was built here (not read from the cache)."""
    backbone, start = variant.split("/")
    mirrored = backbone != "random_init" and pretrained_encoder_config(backbone).flip_average  # type: ignore[arg-type]
    suffix = "_flip" if mirrored else ""
    cached = CACHE / f"{dataset}_{backbone}_{start}_{args.simclr_epochs}_{args.limit}{suffix}.npy"
    if cached.exists() and not args.recompute:
        encoder = None
        if start == "frozen" and "fine_tune" in args.methods:
            encoder = build_encoder(pretrained_encoder_config(backbone))  # type: ignore[arg-type]
        return np.load(cached), encoder
    tensor = torch.from_numpy(images)
    device = args.device
    if start == "simclr":
        if backbone == "random_init":
            config = cpu_preset(epochs=args.simclr_epochs or 60, image_size=images.shape[-1])
        else:
            config = pretrained_continuation_preset(
                backbone,  # type: ignore[arg-type]
                epochs=args.simclr_epochs,
                device=device,
                image_count=len(images),
            )
        with timed(f"{dataset} {variant} pretrain ({config.epochs} epochs)", timings):
            result = pretrain(config, tensor, device=device)
        encoder = result.encoder
        speed = result.metrics.get("steady_images_per_second", 0.0)
        timings[f"{dataset} {variant} pretrain images/s"] = speed
        print(f"  {variant}: SimCLR {speed:.0f} images/s (two views, forward and backward)")
    else:
        encoder = build_encoder(pretrained_encoder_config(backbone))  # type: ignore[arg-type]
    with timed(f"{dataset} {variant} extract", timings):
        features = extract_representations(encoder, tensor, device=device)
    speed = len(images) / timings[f"{dataset} {variant} extract"]
    timings[f"{dataset} {variant} extract images/s"] = speed
    print(f"  {variant}: extraction {speed:.0f} images/s at {images.shape[-1]} px")
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(cached, features)
    return features, encoder


def classify(
    method: str, features: np.ndarray, picked: np.ndarray, labels: np.ndarray, classes: int,
    tuning: FineTuning | None = None,
) -> np.ndarray:  # fmt: skip
    """Predicted class of every photo from the labels of ``picked``; "auto" is what the app's
    Train job does (cross-validates the cheap methods on the labels, keeps the best)."""
    if method == "fine_tune":
        assert tuning is not None
        return tuning.predict(picked, labels, classes)
    if method == "auto":
        report = train_best_classifier(features, picked, labels[picked], classes)
        return report.probabilities.argmax(axis=1)
    if method == "self_training":
        probe = fit_self_trained_probe(
            features, picked, labels[picked], classes, build_knn_graph(features)
        )
        return probe.predict_probabilities(features).argmax(axis=1)
    if method == "linear_probe":
        probe = fit_linear_probe(features[picked], labels[picked], classes, features)
        return probe.predict_probabilities(features).argmax(axis=1)
    graph = build_knn_graph(features)
    probabilities = label_propagation_probabilities(graph, picked, labels[picked], classes)
    return probabilities.argmax(axis=1)


class FineTuning:
    """Fine-tunes the encoder on the picked photos and predicts every photo, timing both."""

    def __init__(
        self,
        encoder: Encoder,
        images: np.ndarray,
        steps: int,
        device: str,
        timings: dict[str, float],
    ) -> None:
        self.encoder, self.images, self.device, self.timings = encoder, images, device, timings
        self.config = FineTuneConfig(steps=steps)

    def predict(self, picked: np.ndarray, labels: np.ndarray, classes: int) -> np.ndarray:
        images = torch.from_numpy(self.images)
        started = time.perf_counter()
        model = fine_tune(
            self.encoder, images[picked], torch.from_numpy(labels[picked]), classes,
            self.config, device=self.device,
        )  # fmt: skip
        trained = time.perf_counter()
        predicted = model.predict_probabilities(images, device=self.device).argmax(axis=1)
        for name, seconds in (
            ("fit", trained - started),
            ("predict", time.perf_counter() - trained),
        ):
            self.timings.setdefault(f"fine_tune {name} (each)", seconds)
        print(f"  fine_tune on {len(picked)} labels: fit {trained - started:.0f} s", flush=True)
        return predicted


def pick_random(labels: np.ndarray, pool: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    chosen = [
        rng.choice(np.flatnonzero(pool & (labels == c)), per_class, replace=False)
        for c in np.unique(labels)
    ]
    return np.concatenate(chosen)


def pick_default(
    features: np.ndarray, labels: np.ndarray, budget: int, classes: int, seed: int
) -> np.ndarray:
    """The app's queue, in order: rounds of ``classes`` picks, the person labels them, the
    model is retrained (self-training, which the app's Train keeps unless another method is
    clearly better; uncalibrated here) and the queue refreshed. Rounds do not depend on the
    budget, so every smaller budget is a prefix of this one."""
    picked: list[int] = []
    graph = build_knn_graph(features)
    probabilities = None
    while len(picked) < budget:
        count = min(classes, budget - len(picked))
        known = labels[picked] if picked else None
        picks = select_batch(
            "default", features, picked, count, probabilities, seed=seed, labels=known
        )
        picked += [pick.index for pick in picks]
        if len(np.unique(labels[picked])) > 1:
            index = np.array(picked)
            probe = fit_self_trained_probe(features, index, labels[index], classes, graph)
            probabilities = probe.predict_probabilities(features)
    return np.array(picked)


def evaluate(
    features: np.ndarray, data: dict[str, np.ndarray], args: argparse.Namespace,
    tuning: FineTuning | None = None,
) -> dict[str, Cells]:  # fmt: skip
    """Accuracy % (mean and std over seeds on the unlabeled photos, mean on the test split)."""
    labels, test = data["labels"], data["test"].astype(bool)
    classes = len(data["class_names"])
    scores: dict[tuple[str, str, int], list[tuple[float, float]]] = {}
    for strategy in args.strategies:
        for seed in range(args.seeds):
            queue = None
            if strategy == "default":
                queue = pick_default(features, labels, max(PER_CLASS) * classes, classes, seed)
            for per_class in PER_CLASS:
                if queue is None:  # random picks, k per class, from the train split only
                    picked = pick_random(labels, ~test, per_class, seed)
                else:
                    picked = queue[: per_class * classes]
                unlabeled = np.ones(len(labels), dtype=bool)
                unlabeled[picked] = False
                for method in args.methods:
                    if method == "fine_tune" and tuning is None:
                        continue  # SimCLR-continued starts: their encoder is not kept
                    predicted = classify(method, features, picked, labels, classes, tuning)
                    right = predicted == labels
                    scores.setdefault((strategy, method, per_class), []).append(
                        (float(right[unlabeled].mean()), float(right[test & unlabeled].mean()))
                    )
    rows: dict[str, Cells] = {}
    for (strategy, method, per_class), values in scores.items():
        on_unlabeled, on_test = np.array(values).T * 100
        rows.setdefault(f"{strategy}, {method}", {})[per_class] = (
            float(on_unlabeled.mean()),
            float(on_unlabeled.std()),
            float(on_test.mean()),
        )
    return rows


def format_table(title: str, results: dict[str, dict[str, Cells]]) -> str:
    header = " | ".join(f"{k}/class unlabeled (test)" for k in PER_CLASS)
    lines = [f"\n{title}", f"| variant | picks, classifier | {header} |"]
    lines.append("|---|---|" + "---|" * len(PER_CLASS))
    for variant, rows in results.items():
        for name, cells in rows.items():
            values = " | ".join(
                f"{cells[k][0]:.1f} ± {cells[k][1]:.1f} ({cells[k][2]:.1f})" for k in PER_CLASS
            )
            lines.append(f"| {variant} | {name} | {values} |")
    return "\n".join(lines)


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--datasets", default="sign_digits",
        help="sign_digits,cifar10,fashion_mnist (with --limit 150: 3,000 of its 70,000 photos)",
    )  # fmt: skip
    parser.add_argument("--backbones", default="efficientnet_lite0")
    parser.add_argument("--starts", default="frozen,simclr", help="frozen,simclr")
    parser.add_argument("--random-init", action="store_true", help="add today's from-scratch run")
    parser.add_argument("--strategies", default="random,default")
    parser.add_argument("--methods", default="auto,self_training,linear_probe,label_propagation")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--simclr-epochs", type=int, default=None)
    parser.add_argument("--limit", type=int, default=None, help="photos per class and split")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--per-class", default="1,2,5,20", help="labels per class to score")
    parser.add_argument("--fine-tune-steps", type=int, default=FineTuneConfig().steps)
    parser.add_argument("--recompute", action="store_true")
    parser.add_argument("--features-only", action="store_true", help="cache h, score nothing")
    parser.add_argument("--output", type=Path, default=Path("benchmarks/results/real_photos.json"))
    args = parser.parse_args()
    for name in ("datasets", "backbones", "starts", "strategies", "methods"):
        setattr(args, name, getattr(args, name).split(","))
    PER_CLASS[:] = [int(count) for count in args.per_class.split(",")]
    return args


def main() -> None:
    args = parse_arguments()
    torch.manual_seed(0)
    report: dict[str, object] = {"device": args.device, "torch": torch.__version__}
    for dataset in args.datasets:
        timings: dict[str, float] = {}
        results: dict[str, dict[str, Cells]] = {}
        variants = [f"{b}/{s}" for b in args.backbones for s in args.starts]
        if args.random_init:
            variants.append("random_init/simclr")
        for variant in variants:
            backbone = variant.split("/")[0]
            side = 32 if backbone == "random_init" else _resolution(backbone)
            with timed(f"{dataset} decode at {side} px", timings):
                data = load_photos(dataset, side, args.limit)
            features, encoder = representations_for(dataset, data["images"], variant, args, timings)
            if args.features_only:  # e.g. on a GPU machine; evaluated elsewhere from the cache
                continue
            tuning = None
            if encoder is not None and "fine_tune" in args.methods:
                tuning = FineTuning(
                    encoder, data["images"], args.fine_tune_steps, args.device, timings
                )
            with timed(f"{dataset} {variant} evaluate", timings):
                results[variant] = evaluate(features, data, args, tuning)
            print(format_table(f"{dataset}: accuracy % so far", {variant: results[variant]}))
        print(format_table(f"{dataset} ({args.device}, {args.seeds} seeds)", results))
        print("\nwall time (s): " + ", ".join(f"{k} {v:.0f}" for k, v in timings.items()))
        report[dataset] = {"results": results, "timings": timings}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=1, default=str))


def _resolution(backbone: str) -> int:
    resolution = native_resolution(replace(EncoderConfig(), architecture=backbone))  # type: ignore[arg-type]
    assert resolution is not None
    return resolution


if __name__ == "__main__":
    main()
