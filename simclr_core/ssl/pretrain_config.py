"""Hyperparameters of SimCLR pretraining, with presets for CPU laptops and GPUs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from simclr_core.ssl.augment import AugmentationConfig
from simclr_core.ssl.encoder import (
    Architecture,
    EncoderConfig,
    native_resolution,
    pretrained_encoder_config,
)


@dataclass(frozen=True)
class PretrainConfig:
    """Everything that determines a pretraining run; saved as ``config.json`` next to it.

    The learning rate is ``base_learning_rate * batch_size / 256`` (the paper's scaling).
    ``optimizer`` "lars" is the paper's choice for large batches, "sgd" is SGD with momentum.
    ``channels_last`` and ``compile`` are speed options (channels_last helps on CPU too);
    bf16 autocast is used automatically on CUDA.
    """

    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    augmentation: AugmentationConfig = field(default_factory=AugmentationConfig)
    projection_dim: int = 128
    projection_hidden_dim: int | None = None
    projection_batch_norm: bool = False
    batch_size: int = 256
    epochs: int = 100
    optimizer: Literal["sgd", "lars"] = "sgd"
    base_learning_rate: float = 0.3
    momentum: float = 0.9
    weight_decay: float = 1e-6
    warmup_epochs: float = 10.0
    temperature: float = 0.5
    seed: int = 0
    channels_last: bool = True
    compile: bool = False
    checkpoint_every_steps: int = 500
    progress_every_steps: int = 10
    knn_monitor_every_epochs: int = 0


def cpu_preset(epochs: int = 60, image_size: int = 32) -> PretrainConfig:
    """A narrow small-stem ResNet that trains at a useful speed on a 2-core CPU.

    Crops are resampled to half the image side (16 px for CIFAR) to cut compute 4x; the
    encoder still embeds full-size images afterwards. On 2 shared cores, 16 px crops with
    batch 128 reached the same kNN accuracy per epoch as 20 px (and 24 px, batch 256) in
    0.4-0.7x the time.
    """
    return PretrainConfig(
        encoder=EncoderConfig(
            architecture="small_resnet",
            small_image_stem=True,
            stage_widths=(16, 32, 64, 128),
            blocks_per_stage=(1, 1, 1, 1),
        ),
        augmentation=AugmentationConfig(
            output_size=max(8, image_size // 2), color_jitter_strength=0.5
        ),
        projection_hidden_dim=512,
        projection_batch_norm=True,
        batch_size=128,
        epochs=epochs,
        optimizer="sgd",
        base_learning_rate=0.5,
        weight_decay=5e-4,
        warmup_epochs=min(5.0, epochs / 10),
        temperature=0.2,
    )


def gpu_preset(
    epochs: int = 500,
    architecture: Literal["resnet18", "resnet50"] = "resnet18",
) -> PretrainConfig:
    """The paper's CIFAR-10 setting: small-stem ResNet, LARS, batch 1024, tau 0.5, s=0.5."""
    return PretrainConfig(
        encoder=EncoderConfig(architecture=architecture, small_image_stem=True),
        augmentation=AugmentationConfig(color_jitter_strength=0.5),
        batch_size=1024,
        epochs=epochs,
        optimizer="lars",
        base_learning_rate=1.0,
        weight_decay=1e-6,
        warmup_epochs=10.0,
        temperature=0.5,
        channels_last=True,
        compile=True,
    )


def pretrained_continuation_preset(
    architecture: Architecture = "efficientnet_lite0",
    epochs: int | None = None,
    device: str = "cpu",
    image_count: int = 3000,
) -> PretrainConfig:
    """SimCLR continued from ImageNet weights on a project's own photos (domain-adaptive).

    A small learning rate and few epochs: the start is already good, so the run adapts it
    to the photos rather than learning from nothing. Crops are 128 px on a CPU (a quarter of
    the compute of 224 px; the encoder still embeds at its native 224 px) and native on a
    GPU. ``epochs`` None gives one epoch per 3,000 photos on a CPU, where every epoch is slow
    (two views forward and backward through EfficientNet), and 30 on an accelerator.
    """
    encoder = pretrained_encoder_config(architecture)
    on_cpu = device == "cpu"
    if epochs is None:
        epochs = max(1, round(3000 / max(image_count, 1))) if on_cpu else 30
    return PretrainConfig(
        encoder=encoder,
        augmentation=AugmentationConfig(
            output_size=128 if on_cpu else native_resolution(encoder),
            crop_scale_min=0.2,
            color_jitter_strength=0.5,
        ),
        projection_dim=128,
        projection_hidden_dim=512,
        projection_batch_norm=True,
        batch_size=64 if on_cpu else 256,
        epochs=epochs,
        optimizer="sgd",
        base_learning_rate=0.05,
        weight_decay=1e-5,
        warmup_epochs=min(1.0, epochs / 10),
        temperature=0.2,
        compile=False,
    )
