"""Representation extraction, streamed from tensors, datasets and iterables."""

import numpy as np
import pytest
import torch
from torch.utils.data import IterableDataset, TensorDataset

from simclr_core.ssl.encoder import build_encoder
from simclr_core.ssl.extract import extract_representations, iterate_representations

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
