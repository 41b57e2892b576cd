"""Tiny seeded images and configs shared by the simclr_core tests."""

from __future__ import annotations

import dataclasses
import io
import tarfile

import pytest
import torch
from PIL import Image

from simclr_core.ssl.augment import AugmentationConfig
from simclr_core.ssl.encoder import EncoderConfig
from simclr_core.ssl.pretrain_config import PretrainConfig

# Tiny tensors run faster on one thread, and far faster when other jobs share the cores
# (OpenMP threads spin waiting for a descheduled partner).
torch.set_num_threads(1)

TINY_ENCODER = EncoderConfig(
    architecture="small_resnet", stage_widths=(4, 8), blocks_per_stage=(1, 1)
)


@pytest.fixture
def uint8_images() -> torch.Tensor:
    """16 random 8x8 RGB images, uint8 (16, 3, 8, 8)."""
    generator = torch.Generator().manual_seed(0)
    return torch.randint(0, 256, (16, 3, 8, 8), generator=generator, dtype=torch.uint8)


@pytest.fixture
def tiny_pretrain_config() -> PretrainConfig:
    """A pretraining run of a few milliseconds per step: 4-8 channel ResNet, 8 px, batch 4."""
    return PretrainConfig(
        encoder=TINY_ENCODER,
        augmentation=AugmentationConfig(color_jitter_strength=0.5),
        projection_dim=8,
        projection_hidden_dim=16,
        batch_size=4,
        epochs=2,
        base_learning_rate=0.5,
        warmup_epochs=0.5,
        temperature=0.5,
        checkpoint_every_steps=1000,
        progress_every_steps=2,
    )


def with_changes(config: PretrainConfig, **changes: object) -> PretrainConfig:
    """``dataclasses.replace`` that keeps the test lines short."""
    return dataclasses.replace(config, **changes)  # type: ignore[arg-type]


def png_bytes(color, size=(8, 8)):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def image_folder(tmp_path):
    for split in ("train", "test"):
        for name, color in (("cat", (255, 0, 0)), ("dog", (0, 0, 255))):
            (tmp_path / split / name).mkdir(parents=True)
            for index in range(2):
                (tmp_path / split / name / f"{index}.png").write_bytes(png_bytes(color))
    (tmp_path / "train" / "loose.png").write_bytes(png_bytes((0, 255, 0)))
    (tmp_path / "train" / "notes.txt").write_text("not an image")
    return tmp_path


@pytest.fixture
def image_archive(image_folder, tmp_path):
    archive = tmp_path / "images.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for split in ("train", "test"):
            tar.add(image_folder / split, arcname=split)
    return archive
