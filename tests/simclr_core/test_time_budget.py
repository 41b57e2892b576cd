"""Planning a pretraining run for a time budget: steady speed, epochs, compile where it pays."""

import pytest
import torch

import simclr_core.ssl.pretrain as pretrain_module
from simclr_core.ssl.pretrain import pretrain
from simclr_core.ssl.time_budget import epochs_for_budget, fit_to_time_budget, measure_steady_speed

from .conftest import with_changes


@pytest.fixture
def compiled(monkeypatch):
    """Models given to torch.compile (which here returns the model as is)."""
    models = []
    monkeypatch.setattr(torch, "compile", lambda model: models.append(model) or model)
    monkeypatch.setattr(pretrain_module, "_compiled_model", None)
    return models


def test_steady_speed_of_a_short_probe(tiny_pretrain_config, uint8_images):
    assert measure_steady_speed(tiny_pretrain_config, uint8_images, "cpu", steps=3) > 0


def test_epochs_for_budget():
    assert epochs_for_budget(60, 1000, 6000, max_epochs=500) == 10
    assert epochs_for_budget(60, 1000, 6000, max_epochs=4) == 4
    assert epochs_for_budget(1, 10, 6000, max_epochs=500) == 1


def test_short_run_is_not_compiled(tiny_pretrain_config, uint8_images, compiled):
    config = with_changes(tiny_pretrain_config, compile=True, epochs=3, warmup_epochs=1.0)
    planned, probe = fit_to_time_budget(config, uint8_images, "cpu", seconds=600)
    assert compiled == [] and not planned.compile
    assert planned.epochs == 3 and probe["eager_images_per_second"] > 0


def test_long_run_is_compiled_once_and_epochs_fit_the_budget(
    tiny_pretrain_config, uint8_images, compiled
):
    config = with_changes(tiny_pretrain_config, compile=True, epochs=10**6, warmup_epochs=10.0)
    planned, probe = fit_to_time_budget(
        config, uint8_images, "cpu", seconds=2, compile_pays_after_seconds=0
    )
    assert planned.compile and len(compiled) == 1
    assert 1 <= planned.epochs < 10**6 and planned.warmup_epochs <= planned.epochs / 10
    assert probe["compiled_images_per_second"] > 0
    pretrain(with_changes(planned, epochs=1), uint8_images)
    assert len(compiled) == 1  # the run reuses the probe's compiled model
