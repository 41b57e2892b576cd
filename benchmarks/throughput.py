"""Pretraining throughput of the batched on-device pipeline vs per-image DataLoader transforms.

Both pipelines train the same CPU-preset model with the same batch on the same machine in the
same run, alternating rounds so that load from other jobs hits both alike. Reports images/s
(both views, forward + backward + optimizer step), the share of a step spent augmenting,
augmentation-only speed, and extraction images/s.

    .venv/bin/python benchmarks/throughput.py --rounds 3 --steps 8
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # shared CPUs: sleep, do not spin

import argparse
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms import v2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.simclr_cifar import RESULTS_DIR, load_cifar10
from benchmarks.simclr_report import format_table, machine_description, write_json
from simclr_core.ssl.augment import AugmentationConfig, make_views
from simclr_core.ssl.extract import extract_representations
from simclr_core.ssl.loss import nt_xent_loss
from simclr_core.ssl.optimizers import build_optimizer
from simclr_core.ssl.pretrain import SimCLRModel, build_model, place_images
from simclr_core.ssl.pretrain_config import PretrainConfig, cpu_preset, gpu_preset


def reference_transform(config: AugmentationConfig, size: int) -> v2.Compose:
    """The usual per-image SimCLR pipeline written with torchvision.transforms.v2."""
    strength = config.color_jitter_strength
    jitter = v2.ColorJitter(0.8 * strength, 0.8 * strength, 0.8 * strength, 0.2 * strength)
    return v2.Compose(
        [
            v2.RandomResizedCrop(
                size, scale=(config.crop_scale_min, config.crop_scale_max), antialias=True
            ),
            v2.RandomHorizontalFlip(),
            v2.RandomApply([jitter], p=config.color_jitter_probability),
            v2.RandomGrayscale(p=config.grayscale_probability),
            v2.ToImage(),
            v2.ToDtype(torch.float32, scale=True),
        ]
    )


class TwoViewDataset(Dataset[tuple[torch.Tensor, torch.Tensor]]):
    """In-memory images as PIL (like torchvision's CIFAR10), two transformed views each."""

    def __init__(self, images: torch.Tensor, transform: v2.Compose) -> None:
        self.arrays = images.permute(0, 2, 3, 1).numpy()
        self.transform = transform

    def __len__(self) -> int:
        return len(self.arrays)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        image = Image.fromarray(self.arrays[index])
        return self.transform(image), self.transform(image)


def train_step(
    model: SimCLRModel,
    optimizer: torch.optim.Optimizer,
    config: PretrainConfig,
    view_a: torch.Tensor,
    view_b: torch.Tensor,
) -> None:
    views = torch.cat([view_a, view_b]).contiguous(memory_format=torch.channels_last)
    on_cuda = views.device.type == "cuda"
    with torch.autocast(views.device.type, torch.bfloat16, enabled=on_cuda):  # as pretrain does
        projections = model(views)
    batch = view_a.shape[0]
    loss = nt_xent_loss(projections[:batch], projections[batch:], config.temperature)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()  # type: ignore[no-untyped-call]
    optimizer.step()


def measure_batched(
    model: SimCLRModel,
    optimizer: torch.optim.Optimizer,
    config: PretrainConfig,
    images: torch.Tensor,
    steps: int,
    generator: torch.Generator,
) -> tuple[float, float]:
    """(images/s, share of time spent augmenting) of the on-device batched pipeline.

    ``images`` and ``generator`` are on the model's device, as in pretraining.
    """
    augment_seconds = 0.0
    device = next(model.parameters()).device
    _synchronize(device)
    started = time.perf_counter()
    for _ in range(steps):
        chosen = torch.randint(
            len(images), (config.batch_size,), generator=generator, device=generator.device
        )
        batch = images[chosen].to(device, non_blocking=True)
        augment_started = time.perf_counter()
        view_a, view_b = make_views(batch, config.augmentation, generator)
        _synchronize(device)
        augment_seconds += time.perf_counter() - augment_started
        train_step(model, optimizer, config, view_a, view_b)
    _synchronize(device)
    total = time.perf_counter() - started
    return steps * config.batch_size / total, augment_seconds / total


def measure_reference(
    model: SimCLRModel,
    optimizer: torch.optim.Optimizer,
    config: PretrainConfig,
    batches: Iterator[Any],
    steps: int,
) -> float:
    """images/s of the per-image DataLoader pipeline (views copied to the model's device)."""
    device = next(model.parameters()).device
    _synchronize(device)
    started = time.perf_counter()
    for _ in range(steps):
        view_a, view_b = (view.to(device, non_blocking=True) for view in next(batches))
        train_step(model, optimizer, config, view_a, view_b)
    _synchronize(device)
    return steps * config.batch_size / (time.perf_counter() - started)


def measure_augmentation_only(
    config: PretrainConfig, images: torch.Tensor, transform: v2.Compose, generator: torch.Generator
) -> dict[str, float]:
    """Two views of one batch: batched (on the images' device) vs per-image v2 (images/s)."""
    batch = images[: config.batch_size]
    make_views(batch, config.augmentation, generator)  # warm-up
    _synchronize(batch.device)
    started = time.perf_counter()
    for _ in range(5):
        make_views(batch, config.augmentation, generator)
    _synchronize(batch.device)
    batched = 5 * len(batch) / (time.perf_counter() - started)
    dataset = TwoViewDataset(batch.cpu(), transform)
    started = time.perf_counter()
    for index in range(len(dataset)):
        dataset[index]
    per_image = len(batch) / (time.perf_counter() - started)
    return {"batched": batched, "per_image_v2": per_image, "ratio": batched / per_image}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="reference DataLoader workers")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--preset", choices=["cpu", "gpu"], default="cpu")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "throughput.json")
    arguments = parser.parse_args()
    images, _ = load_cifar10("train")
    images = images[:10_000]
    config = cpu_preset(image_size=32) if arguments.preset == "cpu" else gpu_preset()
    size = config.augmentation.output_size or 32
    device = torch.device(arguments.device)
    model = build_model(config).to(device, memory_format=torch.channels_last).train()
    optimizer = build_optimizer(model, config)
    generator = torch.Generator(device).manual_seed(0)
    transform = reference_transform(config.augmentation, size)
    loader = DataLoader(
        TwoViewDataset(images, transform),
        batch_size=config.batch_size,
        shuffle=True,
        num_workers=arguments.workers,
        drop_last=True,
        persistent_workers=arguments.workers > 0,
        pin_memory=device.type == "cuda",
    )
    batches = iter(_forever(loader))
    on_device = place_images(images, device)  # kept on the card when they fit, as pretrain does
    measure_batched(model, optimizer, config, on_device, 2, generator)  # warm-up
    measure_reference(model, optimizer, config, batches, 2)
    batched, shares, reference = [], [], []
    for round_index in range(arguments.rounds):
        speed, share = measure_batched(
            model, optimizer, config, on_device, arguments.steps, generator
        )
        batched.append(speed)
        shares.append(share)
        reference.append(measure_reference(model, optimizer, config, batches, arguments.steps))
        print(
            f"round {round_index}: batched {speed:.0f} images/s (augment {share:.1%}), "
            f"reference {reference[-1]:.0f} images/s",
            flush=True,
        )
    augmentation_only = measure_augmentation_only(config, on_device, transform, generator)
    extraction = measure_extraction(model, on_device, arguments.device)
    report = summarize(arguments, config, batched, shares, reference, augmentation_only, extraction)
    write_json(arguments.output, report)


def measure_extraction(model: SimCLRModel, images: torch.Tensor, device: str) -> float:
    extract_representations(model.encoder, images[:4096], device=device)  # warm-up
    started = time.perf_counter()
    extract_representations(model.encoder, images, device=device)
    return len(images) / (time.perf_counter() - started)


def summarize(
    arguments: argparse.Namespace,
    config: PretrainConfig,
    batched: list[float],
    shares: list[float],
    reference: list[float],
    augmentation_only: dict[str, float],
    extraction: float,
) -> dict[str, Any]:
    ratios = [ours / theirs for ours, theirs in zip(batched, reference, strict=True)]
    rows = [
        ["batched on-device augmentation (this pipeline)", f"{statistics.median(batched):.0f}"],
        [
            f"per-image transforms.v2 DataLoader ({arguments.workers} workers)",
            f"{statistics.median(reference):.0f}",
        ],
        ["ratio (median of per-round ratios)", f"{statistics.median(ratios):.2f}x"],
        ["share of a step spent augmenting (median)", f"{statistics.median(shares):.1%}"],
        ["augmentation only, batched vs per-image v2", f"{augmentation_only['ratio']:.1f}x"],
        ["extraction at 32 px (images/s)", f"{extraction:.0f}"],
    ]
    print(format_table(["pretraining, images/s (two views, fwd+bwd)", "value"], rows))
    return {
        "machine": machine_description(),
        "batch_size": config.batch_size,
        "crop_size": config.augmentation.output_size,
        "encoder": str(config.encoder),
        "steps_per_round": arguments.steps,
        "batched_images_per_second": batched,
        "reference_images_per_second": reference,
        "ratios": ratios,
        "median_ratio": statistics.median(ratios),
        "augment_share": shares,
        "median_augment_share": statistics.median(shares),
        "augmentation_only": augmentation_only,
        "extraction_images_per_second": extraction,
        "reference_workers": arguments.workers,
        "numpy": np.__version__,
    }


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def _forever(loader: DataLoader[Any]) -> Iterator[Any]:
    while True:
        yield from loader


if __name__ == "__main__":
    main()
