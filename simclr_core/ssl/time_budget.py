"""Pretraining within a time budget: steady speed from a short probe, epochs that fit, and
``torch.compile`` only where it pays for itself."""

from __future__ import annotations

import time
from dataclasses import replace

import torch

from simclr_core.ssl.pretrain import WARMUP_STEPS, pretrain
from simclr_core.ssl.pretrain_config import PretrainConfig

# torch.compile takes about 25 s per model on an H200 (torch 2.11). A run planned to take
# longer than this without it is compiled; shorter runs would spend more time compiling than
# the compiled steps save.
COMPILE_PAYS_AFTER_SECONDS = 120.0


def measure_steady_speed(
    config: PretrainConfig, images: torch.Tensor, device: torch.device | str, steps: int = 20
) -> float:
    """Images/s of ``config`` on ``device`` after compilation and warm-up (a short run).

    With ``config.compile`` the compiled model stays cached, so a run after this one does
    not compile again.

    Raises:
        ValueError: if ``images`` holds fewer than one batch.
    """
    total = WARMUP_STEPS + steps
    probe_images = images[: config.batch_size * total]
    steps_per_epoch = probe_images.shape[0] // config.batch_size
    if steps_per_epoch == 0:
        raise ValueError(f"{images.shape[0]} images is fewer than one batch")
    epochs = -(-total // steps_per_epoch)
    probe = replace(
        config,
        epochs=epochs,
        warmup_epochs=0.0,
        progress_every_steps=WARMUP_STEPS,
        knn_monitor_every_epochs=0,
    )
    return pretrain(probe, probe_images, device=device).metrics["steady_images_per_second"]


def epochs_for_budget(
    seconds: float, images_per_second: float, num_images: int, max_epochs: int
) -> int:
    """Whole epochs of ``num_images`` that fit ``seconds`` at that speed (1..max_epochs)."""
    return max(1, min(max_epochs, int(seconds * images_per_second / max(1, num_images))))


def fit_to_time_budget(
    config: PretrainConfig,
    images: torch.Tensor,
    device: torch.device | str,
    seconds: float,
    compile_pays_after_seconds: float = COMPILE_PAYS_AFTER_SECONDS,
) -> tuple[PretrainConfig, dict[str, float]]:
    """``config`` with the epochs (at most ``config.epochs``) that fit ``seconds`` on ``device``.

    The speed comes from short probes (:func:`measure_steady_speed`): first without
    compilation; when ``config.compile`` is set and the run would take longer than
    ``compile_pays_after_seconds``, the compiled model is probed too (it stays cached for the
    run) and the compile time is taken out of the budget; otherwise compilation is turned off.
    Warm-up is capped at a tenth of the epochs.

    Returns:
        (the planned config, the probe figures: images/s without and with compilation and
        the compiled probe's seconds).
    """
    count = images.shape[0]
    eager = replace(config, compile=False)
    speed = measure_steady_speed(eager, images, device)
    plan = {"eager_images_per_second": speed}
    epochs = epochs_for_budget(seconds, speed, count, config.epochs)
    planned = eager
    if config.compile and epochs * count / speed > compile_pays_after_seconds:
        started = time.perf_counter()
        speed = measure_steady_speed(config, images, device)
        plan["compile_probe_seconds"] = time.perf_counter() - started
        plan["compiled_images_per_second"] = speed
        left = max(0.0, seconds - plan["compile_probe_seconds"])
        epochs = epochs_for_budget(left, speed, count, config.epochs)
        planned = config
    warmup = min(config.warmup_epochs, epochs / 10)
    return replace(planned, epochs=epochs, warmup_epochs=warmup), plan
