"""Representation extraction, streamed from tensors, datasets and iterables."""

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import IterableDataset, TensorDataset

from simclr_core.ssl.encoder import EncoderConfig, build_encoder
from simclr_core.ssl.extract import (
    extract_representations,
    fold_batch_norms,
    iterate_representations,
)

from .conftest import TINY_ENCODER


@pytest.fixture
def encoder():
    torch.manual_seed(0)
    return build_encoder(TINY_ENCODER).eval()


def expected_h(encoder, images):
    with torch.inference_mode():
        return encoder(images).numpy()


def test_tensor_input_matches_one_big_forward(encoder, uint8_images):
    representations = extract_representations(encoder, uint8_images, batch_size=5)
    assert representations.dtype == np.float32 and representations.shape == (16, 8)
    np.testing.assert_allclose(representations, expected_h(encoder, uint8_images), atol=1e-5)


def test_dataset_of_image_label_pairs(encoder, uint8_images):
    dataset = TensorDataset(uint8_images, torch.zeros(16, dtype=torch.int64))
    representations = extract_representations(encoder, dataset, batch_size=4)
    np.testing.assert_allclose(representations, expected_h(encoder, uint8_images), atol=1e-5)


def test_writes_into_a_memmap(encoder, uint8_images, tmp_path):
    output = np.lib.format.open_memmap(tmp_path / "h.npy", "w+", np.float32, (16, 8))
    extract_representations(encoder, uint8_images, batch_size=6, output=output)
    output.flush()
    np.testing.assert_allclose(
        np.load(tmp_path / "h.npy"), expected_h(encoder, uint8_images), atol=1e-5
    )


def test_iterable_of_unknown_length_is_streamed_batch_by_batch(encoder, uint8_images):
    class Stream(IterableDataset):
        def __iter__(self):
            for image in uint8_images:
                yield image, 0

    batches = list(iterate_representations(encoder, Stream(), batch_size=6))
    assert [len(batch) for batch in batches] == [6, 6, 4]
    assert extract_representations(encoder, Stream(), batch_size=6).shape == (16, 8)


def test_too_small_output_is_an_error(encoder, uint8_images):
    with pytest.raises(ValueError):
        extract_representations(encoder, iter([uint8_images]), output=np.empty((3, 8), np.float32))


def test_caller_between_batches_is_not_in_inference_mode_or_autocast(encoder, uint8_images):
    batches = iterate_representations(encoder, uint8_images, batch_size=4)
    next(batches)
    assert not torch.is_inference_mode_enabled()
    assert not torch.is_autocast_enabled("cpu")
    assert torch.ones(1, requires_grad=True).mul(2).requires_grad  # autograd works here
    batches.close()


def test_tensor_already_on_the_device_is_used_as_is(encoder, uint8_images):
    on_device = uint8_images.to("cpu")
    representations = extract_representations(encoder, on_device, device="cpu")
    np.testing.assert_allclose(representations, expected_h(encoder, uint8_images), atol=1e-5)


def with_trained_norms(model: nn.Module) -> nn.Module:
    """Batch norms with statistics and affine parameters far from their initial 0 and 1."""
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, nn.BatchNorm2d):
                width = layer.num_features
                layer.running_mean.copy_(torch.randn(width, generator=generator))
                layer.running_var.copy_(torch.rand(width, generator=generator) + 0.5)
                layer.weight.copy_(torch.randn(width, generator=generator))
                layer.bias.copy_(torch.randn(width, generator=generator))
    return model.eval()


def norms(model: nn.Module) -> int:
    return sum(isinstance(layer, nn.BatchNorm2d) for layer in model.modules())


@pytest.mark.parametrize(
    "config",
    [
        TINY_ENCODER,
        EncoderConfig(architecture="resnet18", flip_average=True),
        EncoderConfig(architecture="efficientnet_lite0", small_image_stem=False),
    ],
    ids=["small_resnet", "resnet18_flip", "efficientnet_lite0"],
)
def test_every_batch_norm_folds_into_its_convolution_and_h_is_unchanged(config):
    torch.manual_seed(0)
    encoder = with_trained_norms(build_encoder(config))
    images = torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8)
    folded = fold_batch_norms(encoder, images[:2])
    assert norms(folded) == 0 and norms(encoder) > 0  # the encoder itself is left as it was
    with torch.inference_mode():
        np.testing.assert_allclose(folded(images), encoder(images), rtol=1e-4, atol=1e-4)


class NormedAndRaw(nn.Module):
    """The convolution's output feeds its norm and, unnormalized, the sum too."""

    def __init__(self) -> None:
        super().__init__()
        self.conv, self.norm = nn.Conv2d(3, 3, 1), nn.BatchNorm2d(3)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        made = self.conv(images)
        return self.norm(made) + made


class OneNormForTwo(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.first, self.second, self.norm = (
            nn.Conv2d(3, 3, 1),
            nn.Conv2d(3, 3, 3, padding=1),
            nn.BatchNorm2d(3),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.norm(self.first(images)) + self.norm(self.second(images))


@pytest.mark.parametrize("model_class", [NormedAndRaw, OneNormForTwo])
def test_a_norm_that_folding_would_change_stays(model_class):
    model = with_trained_norms(model_class())
    probe = torch.rand(2, 3, 8, 8)
    assert fold_batch_norms(model, probe) is model


def test_extraction_gives_the_unfolded_encoders_h(uint8_images):
    torch.manual_seed(0)
    encoder = with_trained_norms(build_encoder(TINY_ENCODER))
    representations = extract_representations(encoder, uint8_images, batch_size=5)
    np.testing.assert_allclose(representations, expected_h(encoder, uint8_images), atol=1e-5)
    assert norms(encoder) > 0


def test_photos_go_through_in_small_batches_and_small_images_in_big_ones(encoder):
    photos = torch.randint(0, 256, (20, 3, 224, 224), dtype=torch.uint8)
    assert [len(chunk) for chunk in iterate_representations(encoder, photos)] == [16, 4]
    thumbnails = torch.randint(0, 256, (600, 3, 32, 32), dtype=torch.uint8)
    assert [len(chunk) for chunk in iterate_representations(encoder, thumbnails)] == [512, 88]
    pairs = TensorDataset(photos, torch.zeros(20, dtype=torch.int64))
    assert [len(chunk) for chunk in iterate_representations(encoder, pairs)] == [16, 4]
