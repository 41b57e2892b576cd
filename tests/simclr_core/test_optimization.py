"""LARS against torch's SGD, and the warm-up + cosine schedule."""

import itertools
import math

import pytest
import torch

from simclr_core.ssl.lars import LARS
from simclr_core.ssl.schedule import warmup_cosine_factor


def train_linear_model(make_optimizer):
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 3)
    optimizer = make_optimizer(model)
    inputs = torch.randn(8, 4)
    for _ in range(3):
        optimizer.zero_grad()
        model(inputs).pow(2).mean().backward()
        optimizer.step()
    return model


def test_lars_without_adaptation_equals_torch_sgd_with_momentum():
    lars = train_linear_model(
        lambda model: LARS(
            [{"params": model.parameters(), "exclude_from_adaptation": True}], lr=0.1
        )
    )
    sgd = train_linear_model(lambda model: torch.optim.SGD(model.parameters(), 0.1, momentum=0.9))
    torch.testing.assert_close(lars.weight, sgd.weight)
    torch.testing.assert_close(lars.bias, sgd.bias)


def test_lars_step_length_is_trust_ratio_times_weight_norm():
    weight = torch.nn.Parameter(torch.tensor([3.0, 4.0]))
    optimizer = LARS([weight], lr=1.0, momentum=0.0, trust_coefficient=0.01)
    weight.grad = torch.tensor([100.0, 0.0])
    optimizer.step()
    step = torch.tensor([3.0, 4.0]) - weight.detach()
    assert step.norm().item() == pytest.approx(0.01 * 5.0)


def test_warmup_rises_linearly_then_cosine_decays_to_zero():
    factors = [warmup_cosine_factor(step, 4, 12) for step in range(12)]
    assert factors[:4] == pytest.approx([0.25, 0.5, 0.75, 1.0])
    assert factors[4] == pytest.approx(1.0)
    assert factors[8] == pytest.approx(0.5 * (1 + math.cos(math.pi * 0.5)))
    assert warmup_cosine_factor(12, 4, 12) == pytest.approx(0.0)
    assert all(a >= b for a, b in itertools.pairwise(factors[4:]))
