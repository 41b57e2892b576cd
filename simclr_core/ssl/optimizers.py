"""Optimizer construction for pretraining: SGD with momentum or LARS, decay on weights only."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from simclr_core.ssl.lars import LARS
from simclr_core.ssl.pretrain_config import PretrainConfig


def build_optimizer(model: nn.Module, config: PretrainConfig) -> torch.optim.Optimizer:
    """SGD/LARS at ``base_learning_rate * batch_size / 256``.

    Biases and BatchNorm parameters (1-d tensors) get no weight decay and, for LARS, no
    trust-ratio adaptation, as in the SimCLR code.

    Raises:
        ValueError: on an unknown optimizer name.
    """
    learning_rate = config.base_learning_rate * config.batch_size / 256
    weights = [p for p in model.parameters() if p.ndim > 1]
    others = [p for p in model.parameters() if p.ndim <= 1]
    groups: list[dict[str, Any]] = [
        {"params": weights, "weight_decay": config.weight_decay},
        {"params": others, "weight_decay": 0.0},
    ]
    if config.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=learning_rate, momentum=config.momentum)
    if config.optimizer == "lars":
        groups[1]["exclude_from_adaptation"] = True
        return LARS(groups, lr=learning_rate, momentum=config.momentum)
    raise ValueError(f"unknown optimizer {config.optimizer!r}")
