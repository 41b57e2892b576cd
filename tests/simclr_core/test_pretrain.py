"""The pretraining loop: progress, cancellation, checkpoints that resume exactly."""

import json

import pytest
import torch

import simclr_core.ssl.pretrain as pretrain_module
from simclr_core.hyperparameters import load_config
from simclr_core.progress import TrainingCancelled
from simclr_core.ssl.encoder import EncoderConfig, channels_last_is_safe
from simclr_core.ssl.pretrain import (
    KnnMonitorData,
    build_model,
    load_pretrained_encoder,
    place_images,
    pretrain,
)
from simclr_core.ssl.pretrain_config import PretrainConfig

from .conftest import with_changes


def test_pretrain_returns_encoder_and_reports_progress(tiny_pretrain_config, uint8_images):
    events = []

    def progress(fraction, message=None, *, eta_seconds=None, metrics=None):
        events.append((fraction, message, eta_seconds, metrics))

    result = pretrain(tiny_pretrain_config, uint8_images, progress=progress)
    assert [fraction for fraction, *_ in events] == [0.25, 0.5, 0.75, 1.0]
    assert events[-1][1] == "Epoch 2, step 8/8" and events[-1][2] == 0
    assert all(m["loss"] > 0 and m["images_per_second"] > 0 for *_, m in events)
    assert result.encoder(uint8_images).shape == (16, 8)
    assert result.metrics["steps"] == 8


def test_same_seed_gives_same_encoder(tiny_pretrain_config, uint8_images):
    first = pretrain(tiny_pretrain_config, uint8_images).encoder.state_dict()
    second = pretrain(tiny_pretrain_config, uint8_images).encoder.state_dict()
    for name in first:
        torch.testing.assert_close(first[name], second[name], rtol=0, atol=0)


def test_resumed_run_equals_unbroken_run(tiny_pretrain_config, uint8_images, tmp_path):
    config = with_changes(tiny_pretrain_config, epochs=2, checkpoint_every_steps=3)
    unbroken = pretrain(config, uint8_images).encoder.state_dict()
    # Cancel after step 5 (not an epoch or checkpoint boundary), then resume to the end.
    calls = iter(range(100))
    with pytest.raises(TrainingCancelled) as cancelled:
        pretrain(config, uint8_images, tmp_path, should_cancel=lambda: next(calls) >= 5)
    assert cancelled.value.step == 5
    resumed = pretrain(config, uint8_images, tmp_path).encoder.state_dict()
    for name in unbroken:
        torch.testing.assert_close(resumed[name], unbroken[name], rtol=0, atol=0)


def test_cancel_is_checked_before_every_step(tiny_pretrain_config, uint8_images):
    checks = []

    def should_cancel():
        checks.append(1)
        return len(checks) > 3

    with pytest.raises(TrainingCancelled):
        pretrain(tiny_pretrain_config, uint8_images, should_cancel=should_cancel)
    assert len(checks) == 4


def test_checkpoint_dir_holds_config_encoder_and_metrics(
    tiny_pretrain_config, uint8_images, tmp_path
):
    result = pretrain(tiny_pretrain_config, uint8_images, tmp_path)
    assert load_config(PretrainConfig, tmp_path / "config.json") == tiny_pretrain_config
    assert json.loads((tmp_path / "metrics.json").read_text())["steps"] == 8
    reloaded = load_pretrained_encoder(tmp_path)
    with torch.inference_mode():
        torch.testing.assert_close(reloaded(uint8_images), result.encoder(uint8_images))


def test_resuming_with_another_config_is_refused(tiny_pretrain_config, uint8_images, tmp_path):
    pretrain(with_changes(tiny_pretrain_config, epochs=1), uint8_images, tmp_path)
    with pytest.raises(ValueError, match="different config"):
        pretrain(tiny_pretrain_config, uint8_images, tmp_path)


def test_knn_monitor_reports_accuracy(tiny_pretrain_config, uint8_images):
    config = with_changes(tiny_pretrain_config, knn_monitor_every_epochs=1)
    labels = torch.arange(16) % 2
    monitor = KnnMonitorData(uint8_images, labels, uint8_images, labels)
    seen = []

    def progress(fraction, message=None, *, eta_seconds=None, metrics=None):
        seen.append(metrics)

    result = pretrain(config, uint8_images, progress=progress, knn_monitor=monitor)
    accuracies = [metrics["knn_accuracy"] for metrics in seen if "knn_accuracy" in metrics]
    assert len(accuracies) == 2 and all(0 <= value <= 1 for value in accuracies)
    assert result.metrics["knn_accuracy"] == accuracies[-1]


def test_lars_and_small_batch_error(tiny_pretrain_config, uint8_images):
    lars = with_changes(tiny_pretrain_config, optimizer="lars", epochs=1)
    assert pretrain(lars, uint8_images).metrics["loss"] > 0
    with pytest.raises(ValueError, match="fewer than one batch"):
        pretrain(with_changes(tiny_pretrain_config, batch_size=32), uint8_images)


def test_compiled_model_is_made_once_per_process_and_reset_per_run(
    tiny_pretrain_config, uint8_images, monkeypatch
):
    compiled = []
    monkeypatch.setattr(torch, "compile", lambda model: compiled.append(model) or model)
    monkeypatch.setattr(pretrain_module, "_compiled_model", None)
    config = with_changes(tiny_pretrain_config, compile=True)

    first = pretrain(config, uint8_images).encoder
    first_state = {name: value.clone() for name, value in first.state_dict().items()}
    second = pretrain(config, uint8_images).encoder
    eager = pretrain(tiny_pretrain_config, uint8_images).encoder

    assert len(compiled) == 1  # the second run reused the compiled model
    for name, value in eager.state_dict().items():
        torch.testing.assert_close(second.state_dict()[name], value, rtol=0, atol=0)
        torch.testing.assert_close(first.state_dict()[name], first_state[name], rtol=0, atol=0)
        torch.testing.assert_close(first_state[name], value, rtol=0, atol=0)


def test_another_architecture_compiles_again(tiny_pretrain_config, uint8_images, monkeypatch):
    compiled = []
    monkeypatch.setattr(torch, "compile", lambda model: compiled.append(model) or model)
    monkeypatch.setattr(pretrain_module, "_compiled_model", None)
    config = with_changes(tiny_pretrain_config, compile=True, epochs=1)
    pretrain(config, uint8_images)
    pretrain(with_changes(config, projection_dim=4), uint8_images)
    assert len(compiled) == 2


def test_images_kept_on_the_device_give_the_same_run(tiny_pretrain_config, uint8_images):
    on_device = pretrain(tiny_pretrain_config, uint8_images, keep_images_on_device=True)
    copied = pretrain(tiny_pretrain_config, uint8_images, keep_images_on_device=False)
    for name, value in copied.encoder.state_dict().items():
        torch.testing.assert_close(on_device.encoder.state_dict()[name], value, rtol=0, atol=0)
    assert place_images(uint8_images, torch.device("cpu")) is uint8_images  # no copy


def test_steady_speed_is_in_the_metrics(tiny_pretrain_config, uint8_images):
    config = with_changes(tiny_pretrain_config, epochs=4, progress_every_steps=1)
    assert pretrain(config, uint8_images).metrics["steady_images_per_second"] > 0


def test_channels_last_is_left_off_on_the_cpu_only_for_the_layer_torch_breaks_there(
    tiny_pretrain_config, uint8_images
):
    """The tiny encoder's 4-channel 1x1 stride-2 shortcut corrupts the heap in channels_last
    on a CPU (oneDNN issue 6035; torch 2.14.1 aborted on AVX2); a real ResNet keeps the
    faster layout, and so does every model on an accelerator. Training after a kNN check
    (which extracts) must not switch it."""
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    tiny = build_model(tiny_pretrain_config)

    assert not channels_last_is_safe(tiny, cpu)
    assert channels_last_is_safe(tiny, cuda)
    assert channels_last_is_safe(build_model(PretrainConfig(encoder=EncoderConfig())), cpu)
    result = pretrain(tiny_pretrain_config, uint8_images)
    assert all(p.is_contiguous() for p in result.encoder.parameters())
