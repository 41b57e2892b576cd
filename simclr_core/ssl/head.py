"""Projection head g(.): the MLP that maps h to the space where the contrastive loss applies."""

from __future__ import annotations

import torch
from torch import nn


class ProjectionHead(nn.Module):
    """z = W2 ReLU(W1 h), the paper's nonlinear projection head; discarded after pretraining.

    Shapes: h (batch, input_dim) -> z (batch, output_dim). ``batch_norm`` adds BatchNorm after
    W1 as the paper's released code does (off by default: the formula has none).
    """

    def __init__(
        self,
        input_dim: int,
        hidden_dim: int | None = None,
        output_dim: int = 128,
        batch_norm: bool = False,
    ) -> None:
        super().__init__()
        hidden = hidden_dim if hidden_dim is not None else input_dim
        layers: list[nn.Module] = [nn.Linear(input_dim, hidden, bias=not batch_norm)]
        if batch_norm:
            layers.append(nn.BatchNorm1d(hidden))
        layers += [nn.ReLU(inplace=True), nn.Linear(hidden, output_dim)]
        self.layers = nn.Sequential(*layers)

    def forward(self, representations: torch.Tensor) -> torch.Tensor:
        projected: torch.Tensor = self.layers(representations)
        return projected
