"""LARS, the layer-wise adaptive rate scaling optimizer used by SimCLR for large batches."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch.optim import Optimizer


class LARS(Optimizer):
    """SGD with momentum whose step for each weight tensor is scaled by a trust ratio.

    trust_ratio = trust_coefficient * ||w|| / ||g + weight_decay * w|| (You et al., 2017).
    Parameters with ``exclude_from_adaptation`` in their group (biases and BatchNorm, as in
    SimCLR) get neither weight decay nor adaptation, i.e. plain SGD with momentum.
    """

    def __init__(
        self,
        params: Iterable[torch.Tensor] | Iterable[dict[str, Any]],
        lr: float,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
        trust_coefficient: float = 0.001,
    ) -> None:
        if lr < 0:
            raise ValueError(f"invalid learning rate {lr}")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "weight_decay": weight_decay,
            "trust_coefficient": trust_coefficient,
            "exclude_from_adaptation": False,
        }
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for parameter in group["params"]:
                if parameter.grad is None:
                    continue
                update = parameter.grad
                if not group["exclude_from_adaptation"]:
                    if group["weight_decay"] != 0:
                        update = update.add(parameter, alpha=group["weight_decay"])
                    weight_norm = torch.linalg.vector_norm(parameter)
                    update_norm = torch.linalg.vector_norm(update)
                    trust = group["trust_coefficient"] * weight_norm / update_norm
                    ratio = torch.where((weight_norm > 0) & (update_norm > 0), trust, 1.0)
                    update = update * ratio
                state = self.state[parameter]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = torch.clone(update).detach()
                else:
                    state["momentum_buffer"].mul_(group["momentum"]).add_(update)
                parameter.add_(state["momentum_buffer"], alpha=-group["lr"])
        return loss
