"""Fine-tuning the encoder on few labels (and the supervised-from-scratch baseline)."""

import numpy as np
import pytest
import torch

from simclr_core.fewlabel.fine_tune import FineTuneConfig, fine_tune
from simclr_core.progress import TrainingCancelled
from simclr_core.ssl.encoder import build_encoder

from .conftest import TINY_ENCODER


def two_color_images():
    """Reddish vs bluish 8x8 images: (uint8 images (16, 3, 8, 8), labels (16,))."""
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 100, (16, 3, 8, 8), generator=generator, dtype=torch.uint8)
    labels = torch.arange(16) % 2
    images[labels == 0, 0] += 150
    images[labels == 1, 2] += 150
    return images, labels


def test_fine_tuning_learns_an_easy_task_and_keeps_original_encoder():
    images, labels = two_color_images()
    torch.manual_seed(0)
    encoder = build_encoder(TINY_ENCODER)
    before = {name: value.clone() for name, value in encoder.state_dict().items()}
    config = FineTuneConfig(steps=40, batch_size=8, learning_rate=0.1, warmup_steps=2)
    model = fine_tune(encoder, images, labels, num_classes=2, config=config)
    probabilities = model.predict_probabilities(images)
    assert probabilities.shape == (16, 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)
    assert (probabilities.argmax(axis=1) == labels.numpy()).mean() == 1.0
    for name, value in encoder.state_dict().items():
        assert torch.equal(value, before[name])


def test_fine_tuning_is_cancellable_and_checks_inputs():
    images, labels = two_color_images()
    encoder = build_encoder(TINY_ENCODER)
    with pytest.raises(TrainingCancelled):
        fine_tune(encoder, images, labels, 2, FineTuneConfig(steps=5), should_cancel=lambda: True)
    with pytest.raises(ValueError):
        fine_tune(encoder, images, labels[:3], 2)


def test_calibration_folds_fit_a_temperature():
    images, labels = two_color_images()
    config = FineTuneConfig(steps=3, batch_size=4, warmup_steps=1)
    model = fine_tune(build_encoder(TINY_ENCODER), images, labels, 2, config, calibration_folds=2)
    assert model.temperature != 1.0


def test_predict_logits_gives_float64_even_under_bf16_autocast():
    # On a GPU, autocast from the caller (or a leaking generator) made the linear layer
    # return bf16, which .numpy() refuses.
    images, labels = two_color_images()
    torch.manual_seed(0)
    config = FineTuneConfig(steps=2, batch_size=4, warmup_steps=1)
    model = fine_tune(build_encoder(TINY_ENCODER), images, labels, num_classes=2, config=config)
    with torch.autocast("cpu", torch.bfloat16):
        logits = model.predict_logits(images, batch_size=5)
    assert logits.dtype == np.float64 and logits.shape == (16, 2)
