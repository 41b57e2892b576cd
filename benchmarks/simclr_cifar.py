"""CIFAR-10 loading for the simclr_core benchmarks, cached as decoded uint8 tensors in var/."""

from __future__ import annotations

import functools

import torch

from benchmarks.datasets import CIFAR10_ARCHIVE as ARCHIVE
from benchmarks.datasets import REPOSITORY
from simclr_core.data import TarImageDataset, load_labeled_images

CACHE_DIR = REPOSITORY / "var" / "simclr_benchmarks"
RESULTS_DIR = REPOSITORY / "benchmarks" / "results"


def load_cifar10(split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 (N, 3, 32, 32) images and int64 labels of the "train" or "test" split.

    Images are sorted by (label, archive order) so every run sees the same order.
    """
    cache = CACHE_DIR / f"cifar10_{split}.pt"
    if cache.exists():
        data = torch.load(cache, weights_only=True)
        return data["images"], data["labels"]
    images, labels = load_labeled_images(TarImageDataset(ARCHIVE, split=split))
    order = torch.argsort(labels, stable=True)
    images, labels = images[order].contiguous(), labels[order].contiguous()
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    torch.save({"images": images, "labels": labels}, cache)
    return images, labels


@functools.cache
def cifar10_class_names() -> list[str]:
    """Class names in label order: the archive's class folders, sorted (as the loader labels)."""
    return TarImageDataset(ARCHIVE, split="test").class_names


def pick_pretraining_subset(labels: torch.Tensor, count: int, seed: int = 0) -> torch.Tensor:
    """Indices of ``count`` random train images (the unlabeled pretraining pool)."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randperm(labels.shape[0], generator=generator)[:count]
