"""Training checkpoints: everything needed to resume a run to the same result."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

CHECKPOINT_FILE = "checkpoint.pt"


@dataclass
class TrainingState:
    """Model, optimizer, schedule and random-number state after ``step`` finished steps."""

    step: int
    model: dict[str, Any]
    optimizer: dict[str, Any]
    scheduler: dict[str, Any]
    augmentation_rng: torch.Tensor
    torch_rng: torch.Tensor
    cuda_rng: list[torch.Tensor]


def save_training_state(state: TrainingState, directory: Path) -> Path:
    """Write ``state`` atomically to ``directory/checkpoint.pt`` (write, then rename)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / CHECKPOINT_FILE
    temporary = path.with_suffix(".tmp")
    torch.save(state.__dict__, temporary)
    os.replace(temporary, path)
    return path


def load_training_state(directory: Path) -> TrainingState | None:
    """Read the checkpoint in ``directory``, or None when there is none."""
    path = directory / CHECKPOINT_FILE
    if not path.exists():
        return None
    data = torch.load(path, map_location="cpu", weights_only=True)
    return TrainingState(**data)


def capture_rng_state(
    generator: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
    """(augmentation generator, torch CPU, CUDA) random states."""
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []
    return generator.get_state(), torch.get_rng_state(), cuda


def restore_rng_state(state: TrainingState, generator: torch.Generator) -> None:
    """Put back the random states captured by :func:`capture_rng_state`."""
    generator.set_state(state.augmentation_rng)
    torch.set_rng_state(state.torch_rng)
    if state.cuda_rng and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state.cuda_rng)
