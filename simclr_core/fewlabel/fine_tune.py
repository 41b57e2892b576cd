"""Semi-supervised fine-tuning: train the encoder and a linear layer on the few labels.

The same function with a randomly initialized encoder is the supervised-from-scratch
baseline (same architecture, same augmentations, same budget).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from simclr_core.fewlabel.calibration import apply_temperature, fit_temperature_by_cross_validation
from simclr_core.progress import CancelCheck, TrainingCancelled, never_cancel
from simclr_core.ssl.augment import AugmentationConfig, augment_images
from simclr_core.ssl.encoder import Encoder
from simclr_core.ssl.extract import iterate_representations
from simclr_core.ssl.schedule import build_warmup_cosine_schedule


def _fine_tune_augmentation() -> AugmentationConfig:
    # The paper fine-tunes with random crops and flips only.
    return AugmentationConfig(
        crop_scale_min=0.2,
        color_jitter_probability=0.0,
        grayscale_probability=0.0,
        blur_probability=0.0,
    )


@dataclass(frozen=True)
class FineTuneConfig:
    """Budget and optimizer of fine-tuning; ``steps`` is fixed whatever the number of labels."""

    steps: int = 300
    batch_size: int = 64
    learning_rate: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 5e-4
    warmup_steps: int = 10
    seed: int = 0
    augmentation: AugmentationConfig = field(default_factory=_fine_tune_augmentation)


class FineTunedClassifier(nn.Module):
    """Encoder f followed by a linear layer: images (batch, 3, H, W) -> logits (batch, C)."""

    def __init__(self, encoder: Encoder, num_classes: int) -> None:
        super().__init__()
        self.encoder = encoder
        self.classifier = nn.Linear(encoder.output_dim, num_classes)
        nn.init.zeros_(self.classifier.weight)
        nn.init.zeros_(self.classifier.bias)
        self.temperature = 1.0

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.classifier(self.encoder(images))
        return logits

    def predict_logits(
        self,
        images: torch.Tensor,
        batch_size: int | None = None,
        device: torch.device | str = "cpu",
    ) -> np.ndarray:
        """Logits (N, num_classes) float64 for uint8/float images (N, 3, H, W), in batches."""
        classifier = self.classifier.to(device)
        chunks = []
        for h in iterate_representations(self.encoder, images, batch_size, device):
            with torch.inference_mode():
                logits = classifier(torch.as_tensor(h, device=device))
            # .float(): a bf16 tensor (autocast on a GPU) cannot become a NumPy array.
            chunks.append(logits.float().cpu().numpy())
        return np.concatenate(chunks).astype(np.float64)

    def predict_probabilities(
        self,
        images: torch.Tensor,
        batch_size: int | None = None,
        device: torch.device | str = "cpu",
    ) -> np.ndarray:
        """Temperature-scaled class probabilities (N, num_classes) float32."""
        with torch.inference_mode():
            logits = self.predict_logits(images, batch_size, device)
        return apply_temperature(logits, self.temperature)


def fine_tune(
    encoder: Encoder,
    images: torch.Tensor,
    labels: torch.Tensor,
    num_classes: int,
    config: FineTuneConfig | None = None,
    device: torch.device | str = "cpu",
    should_cancel: CancelCheck = never_cancel,
    calibration_folds: int = 0,
) -> FineTunedClassifier:
    """Fine-tune a copy of ``encoder`` plus a new linear layer on labeled images.

    This is the paper's semi-supervised protocol (fine-tuning on 1% / 10% of the labels),
    with random-crop and flip augmentation and SGD with Nesterov momentum and a cosine
    schedule. Batches are drawn with replacement, so any number of labels works.

    With ``calibration_folds`` >= 2 the temperature of the returned classifier is fitted on
    out-of-fold logits of that many extra fine-tuning runs (costing as much training each);
    with 0 it stays 1 (uncalibrated).

    Shapes: images uint8 (N, 3, H, W); labels int (N,) in [0, num_classes).

    Raises:
        ValueError: on empty or mismatched inputs.
        TrainingCancelled: when ``should_cancel()`` is True between steps.
    """
    config = config or FineTuneConfig()
    if len(images) == 0 or len(images) != len(labels):
        raise ValueError("need equally many images and labels, at least one")
    targets = torch.as_tensor(labels, dtype=torch.int64)
    model = _train(
        encoder, images, targets, num_classes, config, torch.device(device), should_cancel
    )
    if calibration_folds >= 2:

        def held_out_logits(fit: np.ndarray, held: np.ndarray) -> np.ndarray:
            fold_model = _train(
                encoder,
                images[fit],
                targets[fit],
                num_classes,
                config,
                torch.device(device),
                should_cancel,
            )
            with torch.inference_mode():
                return fold_model.predict_logits(images[held], device=device)

        model.temperature = fit_temperature_by_cross_validation(
            targets.numpy(), held_out_logits, max_folds=calibration_folds, seed=config.seed
        )
    return model


def _train(
    encoder: Encoder,
    images: torch.Tensor,
    targets: torch.Tensor,
    num_classes: int,
    config: FineTuneConfig,
    device: torch.device,
    should_cancel: CancelCheck,
) -> FineTunedClassifier:
    torch.manual_seed(config.seed)
    model = FineTunedClassifier(copy.deepcopy(encoder), num_classes).to(device).train()
    optimizer = torch.optim.SGD(
        model.parameters(),
        lr=config.learning_rate,
        momentum=config.momentum,
        weight_decay=config.weight_decay,
        nesterov=True,
    )
    scheduler = build_warmup_cosine_schedule(optimizer, config.warmup_steps, config.steps)
    generator = torch.Generator().manual_seed(config.seed)
    for step in range(config.steps):
        if should_cancel():
            raise TrainingCancelled(step)
        chosen = torch.randint(len(images), (config.batch_size,), generator=generator)
        batch = augment_images(images[chosen].to(device), config.augmentation, generator)
        loss = F.cross_entropy(model(batch), targets[chosen].to(device))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()
        scheduler.step()
    return model.eval()
