"""Learning-rate schedule: linear warm-up then cosine decay, stepped once per training step."""

from __future__ import annotations

import math

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR


def warmup_cosine_factor(step: int, warmup_steps: int, total_steps: int) -> float:
    """Multiplier of the base learning rate at ``step`` (0-based).

    Rises linearly from 1/warmup_steps to 1 over ``warmup_steps``, then follows a half
    cosine from 1 to 0 at ``total_steps``.
    """
    if warmup_steps > 0 and step < warmup_steps:
        return (step + 1) / warmup_steps
    decay_steps = max(1, total_steps - warmup_steps)
    progress = min(1.0, (step - warmup_steps) / decay_steps)
    return 0.5 * (1 + math.cos(math.pi * progress))


def build_warmup_cosine_schedule(
    optimizer: Optimizer, warmup_steps: int, total_steps: int
) -> LambdaLR:
    """A ``LambdaLR`` following :func:`warmup_cosine_factor` (state is checkpointable)."""
    return LambdaLR(optimizer, lambda step: warmup_cosine_factor(step, warmup_steps, total_steps))
