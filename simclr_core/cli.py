"""Command line: ``python -m simclr_core pretrain | embed | evaluate``.

Sources are a folder of images (class sub-folders optional) or a .tar/.tar.gz archive,
read without unpacking; ``--split`` picks a top folder such as ``train``.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from simclr_core.data import load_labeled_images, open_image_source
from simclr_core.fewlabel.linear_probe import fit_linear_probe
from simclr_core.hyperparameters import load_config
from simclr_core.ssl.extract import extract_representations
from simclr_core.ssl.knn import knn_accuracy
from simclr_core.ssl.pretrain import load_pretrained_encoder, pretrain
from simclr_core.ssl.pretrain_config import PretrainConfig, cpu_preset, gpu_preset


def main(arguments: Sequence[str] | None = None) -> int:
    """Parse ``arguments`` (default: sys.argv) and run the chosen command; returns 0."""
    parsed = build_parser().parse_args(arguments)
    if parsed.threads:
        torch.set_num_threads(parsed.threads)
    command: int = parsed.run(parsed)
    return command


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the three sub-commands."""
    parser = argparse.ArgumentParser(prog="python -m simclr_core", description=__doc__)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: all)")
    commands = parser.add_subparsers(required=True)
    pretrain_parser = commands.add_parser("pretrain", help="SimCLR pretraining")
    _add_source(pretrain_parser)
    pretrain_parser.add_argument("--output", type=Path, required=True, help="checkpoint dir")
    pretrain_parser.add_argument("--preset", choices=["cpu", "gpu"], default="cpu")
    pretrain_parser.add_argument("--config", type=Path, help="config JSON (overrides preset)")
    pretrain_parser.add_argument("--epochs", type=int, help="override the number of epochs")
    pretrain_parser.add_argument("--max-images", type=int, help="use only the first N images")
    pretrain_parser.set_defaults(run=run_pretrain)
    embed_parser = commands.add_parser("embed", help="write representations h to .npz")
    _add_source(embed_parser)
    embed_parser.add_argument("--checkpoint", type=Path, required=True)
    embed_parser.add_argument("--output", type=Path, required=True, help=".npz file")
    embed_parser.set_defaults(run=run_embed)
    evaluate_parser = commands.add_parser("evaluate", help="kNN and linear-probe accuracy")
    _add_source(evaluate_parser, split_default="train")
    evaluate_parser.add_argument("--checkpoint", type=Path, required=True)
    evaluate_parser.add_argument("--test-split", default="test")
    evaluate_parser.set_defaults(run=run_evaluate)
    return parser


def _add_source(parser: argparse.ArgumentParser, split_default: str | None = None) -> None:
    parser.add_argument("source", type=Path, help="image folder or .tar/.tar.gz archive")
    parser.add_argument("--split", default=split_default, help="top folder, e.g. train")
    parser.add_argument("--image-size", type=int, help="resize + centre-crop to this side")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")


def run_pretrain(arguments: argparse.Namespace) -> int:
    """Decode the images once, pretrain, write checkpoint + config.json + encoder.pt."""
    images, _ = load_labeled_images(
        open_image_source(arguments.source, arguments.split, arguments.image_size)
    )
    if arguments.max_images:
        images = images[: arguments.max_images]
    config = _choose_config(arguments, image_size=images.shape[-1])
    result = pretrain(
        config, images, arguments.output, progress=_print_progress, device=arguments.device
    )
    print(f"wrote {arguments.output} ({result.metrics})")
    return 0


def _choose_config(arguments: argparse.Namespace, image_size: int) -> PretrainConfig:
    if arguments.config:
        config = load_config(PretrainConfig, arguments.config)
    elif arguments.preset == "gpu":
        config = gpu_preset()
    else:
        config = cpu_preset(image_size=image_size)
    if arguments.epochs:
        config = dataclasses.replace(config, epochs=arguments.epochs)
    return dataclasses.replace(config, batch_size=min(config.batch_size, arguments.batch_size))


def _print_progress(
    fraction: float | None,
    message: str | None = None,
    *,
    eta_seconds: float | None = None,
    metrics: dict[str, Any] | None = None,
) -> None:
    figures = " ".join(f"{name} {value}" for name, value in (metrics or {}).items())
    eta = f" eta {eta_seconds:.0f}s" if eta_seconds is not None else ""
    print(f"{message} {figures}{eta}", flush=True)


def run_embed(arguments: argparse.Namespace) -> int:
    """Write ``representations`` (N, dim) float32 and ``labels`` (N,) to an .npz file."""
    encoder = load_pretrained_encoder(arguments.checkpoint)
    dataset = open_image_source(arguments.source, arguments.split, arguments.image_size)
    labels = np.empty(len(dataset), dtype=np.int64)
    representations = extract_representations(
        encoder,
        _LabelRecorder(dataset, labels),
        arguments.batch_size,
        arguments.device,
        output=np.empty((len(dataset), encoder.output_dim), dtype=np.float32),
    )
    position = len(representations)
    np.savez(
        arguments.output,
        representations=representations,
        labels=labels[:position],
        class_names=np.array(dataset.class_names),
    )
    print(
        f"wrote {position} representations of dimension {encoder.output_dim} to {arguments.output}"
    )
    return 0


class _LabelRecorder(torch.utils.data.IterableDataset[torch.Tensor]):
    """Streams images of a dataset while recording their labels in order."""

    def __init__(
        self, dataset: torch.utils.data.Dataset[tuple[torch.Tensor, int]], labels: np.ndarray
    ) -> None:
        self.dataset = dataset
        self.labels = labels

    def __iter__(self):  # type: ignore[no-untyped-def]
        items: Iterable[tuple[torch.Tensor, int]] = self.dataset  # type: ignore[assignment]
        for position, (image, label) in enumerate(items):
            self.labels[position] = label
            yield image


def run_evaluate(arguments: argparse.Namespace) -> int:
    """Print kNN (all train labels) and linear-probe accuracy on the test split."""
    encoder = load_pretrained_encoder(arguments.checkpoint)
    splits = {}
    for name in (arguments.split, arguments.test_split):
        dataset = open_image_source(arguments.source, name, arguments.image_size)
        images, labels = load_labeled_images(dataset)
        splits[name] = (
            extract_representations(encoder, images, arguments.batch_size, arguments.device),
            labels.numpy(),
        )
    train_h, train_y = splits[arguments.split]
    test_h, test_y = splits[arguments.test_split]
    if (train_y < 0).any() or (test_y < 0).any():
        print("evaluate needs class sub-folders in both splits", file=sys.stderr)
        return 2
    num_classes = int(max(train_y.max(), test_y.max())) + 1
    knn = knn_accuracy(train_h, train_y, test_h, test_y)
    probe = fit_linear_probe(train_h, train_y, num_classes, calibrate=False)
    linear = float((probe.predict_probabilities(test_h).argmax(1) == test_y).mean())
    print(f"kNN accuracy (k=200, all {len(train_y)} labels): {knn:.4f}")
    print(f"linear probe accuracy: {linear:.4f}")
    return 0
