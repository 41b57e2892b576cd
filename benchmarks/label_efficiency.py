"""Label efficiency of SimCLR on CIFAR-10: accuracy at 10-1000 labels, several classifiers.

Pretrains the CPU preset (``--preset gpu``: the paper's ResNet-18 setting) on a random subset
of the train split (unlabeled) for a time budget, saves the representations of all 50,000
train and 10,000 test images to benchmarks/results/cifar10_representations.npz, then
compares on the test split:
SimCLR + linear probe, SimCLR + label propagation, SimCLR + fine-tuning, supervised training
from scratch (same encoder, same augmentations, same steps), logistic regression on raw pixels,
and weighted kNN with all labels.

    .venv/bin/python benchmarks/label_efficiency.py --pretrain-minutes 20 --pretrain-images 10000
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # shared CPUs: sleep, do not spin

import argparse
import dataclasses
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.simclr_cifar import (
    CACHE_DIR,
    RESULTS_DIR,
    load_cifar10,
    pick_pretraining_subset,
)
from benchmarks.simclr_report import (
    format_table,
    machine_description,
    mean_and_spread,
    write_json,
)
from simclr_core.fewlabel.calibration import expected_calibration_error
from simclr_core.fewlabel.fine_tune import FineTuneConfig, fine_tune
from simclr_core.fewlabel.label_propagation import (
    build_knn_graph,
    label_propagation_probabilities,
)
from simclr_core.fewlabel.linear_probe import fit_linear_probe
from simclr_core.ssl.encoder import build_encoder
from simclr_core.ssl.extract import extract_representations
from simclr_core.ssl.knn import knn_accuracy
from simclr_core.ssl.pretrain import load_pretrained_encoder, pretrain
from simclr_core.ssl.pretrain_config import PretrainConfig, cpu_preset, gpu_preset
from simclr_core.ssl.time_budget import epochs_for_budget, measure_steady_speed

METHODS = [
    "simclr_linear_probe",
    "simclr_label_propagation",
    "simclr_fine_tune",
    "supervised_from_scratch",
    "raw_pixels_logistic_regression",
]


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pretrain-minutes", type=float, default=20.0)
    parser.add_argument("--pretrain-images", type=int, default=10_000)
    parser.add_argument("--label-counts", default="10,40,100,250,1000")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--fine-tune-steps", type=int, default=150)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--preset",
        choices=["cpu", "gpu"],
        default="cpu",
        help="cpu: the narrow CPU preset; gpu: the paper's ResNet-18 CIFAR setting",
    )
    parser.add_argument("--run-dir", type=Path, default=CACHE_DIR / "label_efficiency_run")
    parser.add_argument(
        "--reuse-pretraining",
        action="store_true",
        help="skip pretraining when --run-dir already holds an encoder",
    )
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "label_efficiency.json")
    parser.add_argument(
        "--representations-output", type=Path, default=RESULTS_DIR / "cifar10_representations.npz"
    )
    return parser.parse_args()


def calibrate_epochs(
    config: PretrainConfig, images: torch.Tensor, minutes: float, device: str
) -> tuple[int, float]:
    """Epochs that fit the time budget, from the steady speed of a short probe run.

    The probe's first steps (``torch.compile``, kernel tuning) are left out of the speed; the
    compiled model stays cached, so the real run does not compile again.
    """
    images_per_second = measure_steady_speed(config, images, device)
    epochs = epochs_for_budget(minutes * 60, images_per_second, images.shape[0], max_epochs=10**6)
    return epochs, images_per_second


def run_pretraining(
    arguments: argparse.Namespace, train_images: torch.Tensor, train_labels: torch.Tensor
) -> dict[str, Any]:
    subset = pick_pretraining_subset(train_labels, arguments.pretrain_images)
    images = train_images[subset].contiguous()
    config = cpu_preset(image_size=32) if arguments.preset == "cpu" else gpu_preset()
    epochs, probe_speed = calibrate_epochs(
        config, images, arguments.pretrain_minutes, arguments.device
    )
    config = dataclasses.replace(config, epochs=epochs, warmup_epochs=min(5.0, epochs / 10))
    print(
        f"pretraining {epochs} epochs on {len(images)} images "
        f"(steady speed {probe_speed:.0f} images/s, compilation left out)",
        flush=True,
    )

    reports = 0

    def report(
        fraction: float | None,
        message: str | None = None,
        *,
        eta_seconds: float | None = None,
        metrics: dict[str, Any] | None = None,
    ) -> None:
        nonlocal reports
        reports += 1
        if reports % 10 == 0 or fraction == 1:
            shown = metrics or {}
            print(
                f"  {message} loss {shown.get('loss', 0):.3f} "
                f"{shown.get('images_per_second', 0):.0f} images/s "
                f"eta {(eta_seconds or 0) / 60:.1f} min",
                flush=True,
            )

    started = time.perf_counter()
    result = pretrain(config, images, arguments.run_dir, progress=report, device=arguments.device)
    minutes = (time.perf_counter() - started) / 60
    return {
        "epochs": epochs,
        "images": len(images),
        "minutes": minutes,
        "images_per_second": result.metrics.get("images_per_second"),
        "final_loss": result.metrics.get("loss"),
        "config": dataclasses.asdict(config),
    }


def pick_labels(labels: np.ndarray, count: int, seed: int) -> np.ndarray:
    """``count`` random train indices (random picks, as a person labeling at random)."""
    return np.random.default_rng(seed).choice(len(labels), size=count, replace=False)


def evaluate_method(
    method: str,
    chosen: np.ndarray,
    context: dict[str, Any],
    arguments: argparse.Namespace,
    seed: int,
) -> tuple[float, float | None]:
    """(test accuracy, expected calibration error or None) of one method on one label set."""
    train_y, test_y = context["train_y"], context["test_y"]
    if method == "simclr_linear_probe":
        probe = fit_linear_probe(
            context["train_h"][chosen], train_y[chosen], 10, unlabeled_features=context["train_h"]
        )
        probabilities = probe.predict_probabilities(context["test_h"])
    elif method == "raw_pixels_logistic_regression":
        probe = fit_linear_probe(
            context["train_pixels"][chosen], train_y[chosen], 10, calibrate=False
        )
        probabilities = probe.predict_probabilities(context["test_pixels"])
    elif method == "simclr_label_propagation":
        all_probabilities = label_propagation_probabilities(
            context["graph"], chosen, train_y[chosen], 10
        )
        probabilities = all_probabilities[len(train_y) :]
    else:
        encoder = context["encoder"]
        if method == "supervised_from_scratch":
            torch.manual_seed(seed)
            encoder = build_encoder(encoder.config)
        fine_tune_config = FineTuneConfig(steps=arguments.fine_tune_steps, seed=seed)
        model = fine_tune(
            encoder,
            context["train_images"][chosen],
            torch.as_tensor(train_y[chosen]),
            10,
            fine_tune_config,
            arguments.device,
        )
        probabilities = model.predict_probabilities(context["test_images"], device=arguments.device)
        return float((probabilities.argmax(1) == test_y).mean()), None
    accuracy = float((probabilities.argmax(1) == test_y).mean())
    return accuracy, expected_calibration_error(probabilities, test_y)


def main() -> None:
    arguments = parse_arguments()
    started = time.perf_counter()
    train_images, train_labels = load_cifar10("train")
    test_images, test_labels = load_cifar10("test")
    report: dict[str, Any] = {
        "machine": machine_description(),
        "arguments": {key: str(value) for key, value in vars(arguments).items()},
    }
    if arguments.reuse_pretraining and (arguments.run_dir / "encoder.pt").exists():
        report["pretraining"] = {"reused": str(arguments.run_dir)}
    else:
        report["pretraining"] = run_pretraining(arguments, train_images, train_labels)
    write_json(arguments.output, report)
    encoder = load_pretrained_encoder(arguments.run_dir)
    extract_started = time.perf_counter()
    train_h = extract_representations(encoder, train_images, device=arguments.device)
    test_h = extract_representations(encoder, test_images, device=arguments.device)
    train_y, test_y = train_labels.numpy(), test_labels.numpy()
    report["extraction_images_per_second"] = 60_000 / (time.perf_counter() - extract_started)
    arguments.representations_output.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        arguments.representations_output,
        train_h=train_h,
        train_y=train_y,
        test_h=test_h,
        test_y=test_y,
    )
    print(f"wrote {arguments.representations_output}", flush=True)
    report["knn_all_labels"] = {
        "simclr": knn_accuracy(train_h, train_y, test_h, test_y),
        "raw_pixels": knn_accuracy(
            train_images.flatten(1).float(), train_y, test_images.flatten(1).float(), test_y
        ),
    }
    print(f"kNN with all labels: {report['knn_all_labels']}", flush=True)
    write_json(arguments.output, report)
    run_few_label_grid(
        arguments,
        report,
        {
            "train_h": train_h,
            "test_h": test_h,
            "train_y": train_y,
            "test_y": test_y,
            "train_images": train_images,
            "test_images": test_images,
            "encoder": encoder,
            "train_pixels": train_images.flatten(1).float().numpy() / 255,
            "test_pixels": test_images.flatten(1).float().numpy() / 255,
        },
    )
    report["total_minutes"] = (time.perf_counter() - started) / 60
    write_json(arguments.output, report)
    print_tables(report)


def run_few_label_grid(
    arguments: argparse.Namespace, report: dict[str, Any], context: dict[str, Any]
) -> None:
    methods = arguments.methods.split(",")
    if "simclr_label_propagation" in methods:
        graph_started = time.perf_counter()
        # Transductive: one graph over all train and test images, labels only on train.
        context["graph"] = build_knn_graph(np.concatenate([context["train_h"], context["test_h"]]))
        report["graph_seconds"] = time.perf_counter() - graph_started
    results: dict[str, Any] = report.setdefault("few_label", {})
    method_seconds: dict[str, float] = report.setdefault("method_seconds", {})
    for count in (int(value) for value in arguments.label_counts.split(",")):
        for seed in range(arguments.seeds):
            chosen = pick_labels(context["train_y"], count, seed)
            for method in methods:
                method_started = time.perf_counter()
                accuracy, ece = evaluate_method(method, chosen, context, arguments, seed)
                method_seconds[method] = method_seconds.get(method, 0.0) + (
                    time.perf_counter() - method_started
                )
                entry = results.setdefault(method, {}).setdefault(str(count), [])
                entry.append({"seed": seed, "accuracy": accuracy, "ece": ece})
                print(
                    f"  {count:5d} labels seed {seed} {method:32s} accuracy {accuracy:.4f}"
                    + (f" ECE {ece:.3f}" if ece is not None else ""),
                    flush=True,
                )
                write_json(arguments.output, report)


def print_tables(report: dict[str, Any]) -> None:
    few = report["few_label"]
    counts = sorted({int(count) for runs in few.values() for count in runs})
    header = ["method", *[f"{count} labels" for count in counts]]
    rows = []
    for method, runs in few.items():
        cells = [mean_and_spread([run["accuracy"] for run in runs.get(str(c), [])]) for c in counts]
        rows.append([method, *cells])
    print("\nTest accuracy (%), mean ± std over seeds:")
    print(format_table(header, rows))
    ece_rows = []
    for method, runs in few.items():
        values = [
            [run["ece"] for run in runs.get(str(c), []) if run["ece"] is not None] for c in counts
        ]
        if any(values):
            ece_rows.append([method, *[mean_and_spread(v) for v in values]])
    print("\nExpected calibration error (%), mean ± std over seeds:")
    print(format_table(header, ece_rows))
    print(f"\nkNN with all 50,000 labels: {report['knn_all_labels']}")
    print(f"pretraining: {json_summary(report['pretraining'])}")


def json_summary(pretraining: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in pretraining.items() if key != "config")


if __name__ == "__main__":
    main()
