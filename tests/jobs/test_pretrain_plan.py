"""The Pretrain job on an accelerator: epochs from the steady speed, kept when resumed."""

import numpy as np
import torch

from labelapp.learning import training_process
from simclr_core.hyperparameters import save_config
from simclr_core.ssl.pretrain_config import gpu_preset


def test_accelerator_job_without_epochs_is_fitted_to_the_budget(tmp_path, monkeypatch):
    calls = []

    def fit(config, images, device, seconds):
        calls.append((device, seconds))
        return config, {"eager_images_per_second": 1.0}

    monkeypatch.setattr(training_process, "fit_to_time_budget", fit)
    images = torch.zeros(8, 3, 8, 8, dtype=torch.uint8)
    spec = {"device": "cuda", "budget_seconds": 60}

    _, plan = training_process.plan_for_budget(gpu_preset(), images, spec, tmp_path)
    assert calls == [("cuda", 60.0)] and plan == {"eager_images_per_second": 1.0}

    training_process.plan_for_budget(gpu_preset(), images, {**spec, "epochs": 5}, tmp_path)
    training_process.plan_for_budget(gpu_preset(), images, {"device": "cpu"}, tmp_path)
    assert len(calls) == 1  # chosen epochs, or the CPU: no probe


def test_resumed_job_keeps_the_plan_it_started_with(tmp_path, monkeypatch):
    monkeypatch.setattr(training_process, "fit_to_time_budget", None)  # must not be called
    started_with = gpu_preset(epochs=37)
    save_config(started_with, tmp_path / "config.json")
    images = torch.zeros(8, 3, 8, 8, dtype=torch.uint8)
    planned, _ = training_process.plan_for_budget(
        gpu_preset(), images, {"device": "cuda"}, tmp_path
    )
    assert planned == started_with


def _anonymous_memory_mb() -> float:
    with open("/proc/self/status") as status:
        line = next(row for row in status if row.startswith("RssAnon:"))
    return int(line.split()[1]) / 1024


def test_pretrain_reads_the_image_cache_without_loading_it_whole(tmp_path):
    """The Pretrain child maps the cache: reading every image of a 300 MB cache costs no
    private memory, and writing to the tensor does not change the file."""
    path = tmp_path / "images.npy"
    cache = np.lib.format.open_memmap(path, "w+", np.uint8, (2000, 3, 224, 224))
    cache[:] = 7
    cache.flush()
    del cache
    before = _anonymous_memory_mb()
    images = training_process.open_image_cache(path)
    total = sum(int(images[start : start + 100].sum()) for start in range(0, 2000, 100))
    assert total == 7 * images.numel()
    assert _anonymous_memory_mb() - before < 100  # 301 MB when read into memory
    images[0] = 0
    assert int(np.load(path, mmap_mode="r")[0].max()) == 7
