"""Frozen configs round-trip through JSON."""

import pytest

from simclr_core.fewlabel.fine_tune import FineTuneConfig
from simclr_core.hyperparameters import config_from_dict, load_config, save_config
from simclr_core.ssl.pretrain_config import PretrainConfig, cpu_preset, gpu_preset


@pytest.mark.parametrize("config", [PretrainConfig(), cpu_preset(), gpu_preset(), FineTuneConfig()])
def test_config_round_trips_through_json(config, tmp_path):
    save_config(config, tmp_path / "config.json")
    assert load_config(type(config), tmp_path / "config.json") == config


def test_unknown_field_is_rejected():
    with pytest.raises(ValueError, match="batch_sise"):
        config_from_dict(PretrainConfig, {"batch_sise": 3})
