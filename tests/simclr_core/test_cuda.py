"""The GPU paths of simclr_core: bf16 autocast, images kept on the card, parameters drawn there.

Marked ``cuda`` and skipped without a CUDA device; benchmarks/gpu_check.sh runs them on a card.
"""

import numpy as np
import pytest
import torch

from simclr_core.fewlabel.fine_tune import FineTuneConfig, fine_tune
from simclr_core.fewlabel.label_propagation import nearest_neighbors
from simclr_core.ssl.augment import AugmentationConfig, make_views
from simclr_core.ssl.encoder import build_encoder
from simclr_core.ssl.extract import extract_representations, iterate_representations
from simclr_core.ssl.pretrain import pretrain

from .conftest import TINY_ENCODER, with_changes

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


@pytest.fixture
def encoder():
    torch.manual_seed(0)
    return build_encoder(TINY_ENCODER).eval()


def test_extraction_in_bf16_leaves_the_callers_modes_alone(encoder, uint8_images):
    batches = iterate_representations(encoder, uint8_images, batch_size=4, device="cuda")
    first = next(batches)
    assert first.dtype == np.float32 and first.shape == (4, 8)
    assert not torch.is_inference_mode_enabled()
    assert not torch.is_autocast_enabled("cuda")
    batches.close()


def test_extraction_on_the_card_matches_the_cpu(encoder, uint8_images):
    on_cpu = extract_representations(encoder, uint8_images, device="cpu")
    on_card = extract_representations(encoder, uint8_images.cuda(), device="cuda")
    np.testing.assert_allclose(on_card, on_cpu, rtol=0.05, atol=0.05)  # bf16


def test_fine_tuned_classifier_predicts_on_cuda(encoder, uint8_images):
    labels = torch.arange(16) % 2
    config = FineTuneConfig(steps=3, batch_size=8, warmup_steps=1)
    model = fine_tune(encoder, uint8_images, labels, 2, config, device="cuda")
    probabilities = model.predict_probabilities(uint8_images, device="cuda")
    assert probabilities.shape == (16, 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-4)


def test_augmentation_parameters_are_drawn_on_the_card_without_waiting(uint8_images):
    images = uint8_images.cuda()
    config = AugmentationConfig(color_jitter_strength=0.5, blur_probability=0.5)
    make_views(images, config, torch.Generator("cuda").manual_seed(0))  # constants made once
    generators = [torch.Generator("cuda").manual_seed(1) for _ in range(2)]
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")  # any host-device wait raises
    try:
        first = make_views(images, config, generators[0])
        again = make_views(images, config, generators[1])
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert first[0].device.type == "cuda"
    torch.testing.assert_close(first[0], again[0], rtol=0, atol=0)


@pytest.mark.parametrize("keep_images_on_device", [True, False])
def test_pretrain_a_few_steps_on_cuda(tiny_pretrain_config, uint8_images, keep_images_on_device):
    config = with_changes(tiny_pretrain_config, optimizer="lars", epochs=2)
    result = pretrain(
        config, uint8_images, device="cuda", keep_images_on_device=keep_images_on_device
    )
    assert np.isfinite(result.metrics["loss"]) and result.metrics["steady_images_per_second"] > 0
    assert next(result.encoder.parameters()).device.type == "cuda"


def test_nearest_neighbours_on_the_card_match_the_cpu():
    features = np.random.default_rng(0).normal(size=(300, 16)).astype(np.float32)
    on_cpu = nearest_neighbors(features, 5, device="cpu")
    on_card = nearest_neighbors(features, 5, device="cuda")
    np.testing.assert_allclose(on_card[0], on_cpu[0], rtol=1e-4, atol=1e-5)
    assert (on_card[1] == on_cpu[1]).mean() > 0.99  # ties may order differently
