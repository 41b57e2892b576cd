"""SimCLR pretraining loop: two views per image, f and g trained with NT-Xent."""

from __future__ import annotations

import copy
import json
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from simclr_core.data import ImageSet, load_image_tensor
from simclr_core.hyperparameters import config_to_dict, load_config, save_config
from simclr_core.progress import (
    CancelCheck,
    Progress,
    TrainingCancelled,
    ignore_progress,
    never_cancel,
)
from simclr_core.ssl.augment import make_views
from simclr_core.ssl.checkpoint import (
    TrainingState,
    capture_rng_state,
    load_training_state,
    restore_rng_state,
    save_training_state,
)
from simclr_core.ssl.encoder import Encoder, build_encoder, channels_last_is_safe
from simclr_core.ssl.head import ProjectionHead
from simclr_core.ssl.knn import knn_accuracy
from simclr_core.ssl.loss import nt_xent_loss
from simclr_core.ssl.optimizers import build_optimizer
from simclr_core.ssl.pretrain_config import PretrainConfig
from simclr_core.ssl.schedule import build_warmup_cosine_schedule

CONFIG_FILE = "config.json"
ENCODER_FILE = "encoder.pt"
METRICS_FILE = "metrics.json"
# Steps left out of the steady speed: the first ones compile and tune kernels.
WARMUP_STEPS = 5
# Keep the decoded images on the accelerator when they take at most this share of its free
# memory (50,000 CIFAR images are 150 MB).
DEVICE_IMAGES_MEMORY_SHARE = 0.25


@dataclass(frozen=True)
class KnnMonitorData:
    """Labeled images for the kNN monitor: uint8 (N, 3, H, W) tensors and (N,) int labels."""

    bank_images: torch.Tensor
    bank_labels: torch.Tensor
    query_images: torch.Tensor
    query_labels: torch.Tensor


@dataclass
class PretrainResult:
    """The trained base encoder f (head discarded) and run metrics (loss, speed, kNN)."""

    encoder: Encoder
    metrics: dict[str, float]


class SimCLRModel(nn.Module):
    """g(f(x)): the encoder followed by the projection head, as trained by NT-Xent."""

    def __init__(self, encoder: Encoder, head: ProjectionHead) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = head

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        projections: torch.Tensor = self.head(self.encoder(images))
        return projections


def build_model(config: PretrainConfig) -> SimCLRModel:
    """Encoder f and projection head g, initialized from ``config.seed``."""
    torch.manual_seed(config.seed)
    encoder = build_encoder(config.encoder)
    head = ProjectionHead(
        encoder.output_dim,
        config.projection_hidden_dim,
        config.projection_dim,
        config.projection_batch_norm,
    )
    return SimCLRModel(encoder, head)


def pretrain(
    config: PretrainConfig,
    dataset: torch.Tensor | ImageSet,
    checkpoint_dir: Path | None = None,
    progress: Progress = ignore_progress,
    should_cancel: CancelCheck = never_cancel,
    device: torch.device | str = "cpu",
    knn_monitor: KnnMonitorData | None = None,
    keep_images_on_device: bool | None = None,
) -> PretrainResult:
    """Pretrain the base encoder with SimCLR (contrastive learning of visual representations).

    The dataset is decoded once into a uint8 (N, 3, H, W) tensor. On an accelerator it is
    kept there whole when it fits (``keep_images_on_device`` None: when it takes at most a
    quarter of the free memory), so a step indexes, augments and trains without touching the
    host; otherwise each step copies one batch to ``device``. Augmentation parameters are drawn
    on ``device``. With ``config.compile`` the model is compiled once per process and reused by
    later runs of the same architecture (its weights are reset to the seed's initialization).
    ``metrics["steady_images_per_second"]`` is the speed after the first steps (compilation
    and kernel tuning excluded). Every ``config.progress_every_steps`` steps it calls
    ``progress(fraction, "Epoch e, step s/total", eta_seconds=..., metrics=...)`` with the
    mean ``loss`` since the last report and ``images_per_second`` (and ``knn_accuracy`` on
    kNN-monitor steps). With ``checkpoint_dir`` the run
    writes ``config.json``, periodic ``checkpoint.pt`` files and finally ``encoder.pt`` and
    ``metrics.json``; a directory that already holds a checkpoint is resumed from it, giving
    the same result as an unbroken run.

    Raises:
        TrainingCancelled: when ``should_cancel()`` is True between steps (checkpoint saved).
        ValueError: if the dataset has fewer images than one batch, or ``checkpoint_dir``
            holds a run with a different config.
    """
    images = dataset if isinstance(dataset, torch.Tensor) else load_image_tensor(dataset)
    steps_per_epoch = images.shape[0] // config.batch_size
    if steps_per_epoch == 0:
        raise ValueError(f"{images.shape[0]} images is fewer than one batch")
    device = torch.device(device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes: tuned kernels pay off
    total_steps = steps_per_epoch * config.epochs
    model, forward = prepare_model(config, device)
    optimizer = build_optimizer(model, config)
    scheduler = build_warmup_cosine_schedule(
        optimizer, round(config.warmup_epochs * steps_per_epoch), total_steps
    )
    generator = torch.Generator(device).manual_seed(config.seed + 1)
    start_step = _resume(config, checkpoint_dir, model, optimizer, scheduler, generator)
    images = place_images(images, device, keep_images_on_device)
    loop = _TrainingLoop(config, images, model, forward, optimizer, scheduler, generator, device)
    started = time.perf_counter()
    steady = _SteadySpeed(start_step, config.batch_size)
    metrics: dict[str, float] = {}
    for step in range(start_step, total_steps):
        if should_cancel():
            _checkpoint(checkpoint_dir, step, model, optimizer, scheduler, generator)
            raise TrainingCancelled(step)
        loop.run_step(step, steps_per_epoch)
        finished = step + 1
        knn = None
        if knn_monitor is not None and _is_monitor_epoch(
            config, finished, total_steps, steps_per_epoch
        ):
            knn = measure_knn_accuracy(model.encoder, knn_monitor, device)
            metrics["knn_accuracy"] = knn
        if finished % config.progress_every_steps == 0 or finished == total_steps or knn:
            rate = (finished - start_step) / (time.perf_counter() - started)
            loss, images_per_second = loop.take_mean_loss(), rate * config.batch_size
            metrics["loss"], metrics["images_per_second"] = loss, images_per_second
            steady.mark(finished)  # take_mean_loss waited for the device: the time is true
            shown = {"loss": round(loss, 4), "images_per_second": round(images_per_second, 1)}
            progress(
                finished / total_steps,
                f"Epoch {step // steps_per_epoch + 1}, step {finished}/{total_steps}",
                eta_seconds=(total_steps - finished) / rate,
                metrics=shown if knn is None else {**shown, "knn_accuracy": knn},
            )
        if finished % config.checkpoint_every_steps == 0 and finished < total_steps:
            _checkpoint(checkpoint_dir, finished, model, optimizer, scheduler, generator)
    metrics.update(steps=float(total_steps), seconds=time.perf_counter() - started)
    metrics["steady_images_per_second"] = steady.rate() or metrics.get("images_per_second", 0.0)
    _finish(checkpoint_dir, total_steps, model, optimizer, scheduler, generator, metrics)
    # A compiled model is reused by the next run: hand out a copy that stays as trained.
    encoder = copy.deepcopy(model.encoder) if config.compile else model.encoder
    return PretrainResult(encoder=encoder.eval(), metrics=metrics)


class _SteadySpeed:
    """Images/s between the first progress event after the warm-up steps and the last one."""

    def __init__(self, start_step: int, batch_size: int) -> None:
        self.start_step, self.batch_size = start_step, batch_size
        self.first: tuple[int, float] | None = None
        self.last: tuple[int, float] | None = None

    def mark(self, finished: int) -> None:
        now = (finished, time.perf_counter())
        if self.first is None:
            if finished - self.start_step >= WARMUP_STEPS:
                self.first = now
        else:
            self.last = now

    def rate(self) -> float | None:
        if self.first is None or self.last is None:
            return None
        steps, seconds = self.last[0] - self.first[0], self.last[1] - self.first[1]
        return steps * self.batch_size / seconds if seconds > 0 else None


@dataclass
class _CompiledModel:
    key: str
    model: SimCLRModel
    forward: Any


_compiled_model: _CompiledModel | None = None  # one per process: compiling takes ~25 s


def prepare_model(config: PretrainConfig, device: torch.device) -> tuple[SimCLRModel, Any]:
    """(model on ``device`` with the seed's initial weights, the callable that runs it).

    With ``config.compile`` the callable is ``torch.compile(model)``, made once per process:
    a later call with the same architecture and device gets the same model object back,
    its weights and buffers reset in place, so the compiled code is reused.
    """
    global _compiled_model
    fresh = build_model(config)
    if not config.compile:
        return _to_device(fresh, config, device), fresh
    key = json.dumps(
        [config_to_dict(config.encoder), config.projection_dim, config.projection_hidden_dim,
         config.projection_batch_norm, config.channels_last, str(device)],
        sort_keys=True,
    )  # fmt: skip
    if _compiled_model is not None and _compiled_model.key == key:
        _compiled_model.model.load_state_dict(fresh.state_dict())
        return _compiled_model.model, _compiled_model.forward
    model = _to_device(fresh, config, device)
    _compiled_model = _CompiledModel(key, model, torch.compile(model))
    return model, _compiled_model.forward


def _to_device(model: SimCLRModel, config: PretrainConfig, device: torch.device) -> SimCLRModel:
    model.to(device)
    if config.channels_last and channels_last_is_safe(model, device):
        model.to(memory_format=torch.channels_last)
    return model


def place_images(
    images: torch.Tensor, device: torch.device, keep_on_device: bool | None = None
) -> torch.Tensor:
    """The training images where steps read them: on ``device`` when ``keep_on_device``
    (None: on the CPU always, on an accelerator when they fit), else on the CPU.

    Shapes: uint8 (N, 3, H, W) in, the same tensor (or a copy on ``device``) out.
    """
    if keep_on_device is None:
        keep_on_device = device.type == "cpu" or _fits_on(images, device)
    return images.to(device) if keep_on_device else images.cpu()


def _fits_on(images: torch.Tensor, device: torch.device) -> bool:
    if device.type != "cuda":
        return False
    free, _ = torch.cuda.mem_get_info(device)
    return images.nelement() * images.element_size() <= DEVICE_IMAGES_MEMORY_SHARE * free


class _TrainingLoop:
    def __init__(
        self,
        config: PretrainConfig,
        images: torch.Tensor,
        model: SimCLRModel,
        forward: Any,
        optimizer: torch.optim.Optimizer,
        scheduler: torch.optim.lr_scheduler.LRScheduler,
        generator: torch.Generator,
        device: torch.device,
    ) -> None:
        self.config, self.images, self.model, self.forward = config, images, model, forward
        self.optimizer, self.scheduler, self.generator = optimizer, scheduler, generator
        self.device = device
        self.channels_last = config.channels_last and channels_last_is_safe(model, device)
        self.loss_sum = torch.zeros((), device=device)
        self.loss_count = 0
        self.permutation: torch.Tensor | None = None
        self.permutation_epoch = -1

    def run_step(self, step: int, steps_per_epoch: int) -> None:
        epoch, index = divmod(step, steps_per_epoch)
        if self.permutation_epoch != epoch:
            permutation = epoch_permutation(self.config.seed, epoch, self.images.shape[0])
            self.permutation = permutation.to(self.images.device)
            self.permutation_epoch = epoch
        assert self.permutation is not None
        batch_size = self.config.batch_size
        chosen = self.permutation[index * batch_size : (index + 1) * batch_size]
        batch = self.images[chosen]
        if batch.device != self.device:  # the images did not fit on the device
            if self.device.type == "cuda":
                batch = batch.pin_memory()
            batch = batch.to(self.device, non_blocking=True)
        self.model.train()
        view_a, view_b = make_views(batch, self.config.augmentation, self.generator)
        views = torch.cat([view_a, view_b])
        if self.channels_last:
            views = views.contiguous(memory_format=torch.channels_last)
        on_cuda = self.device.type == "cuda"
        autocast = torch.autocast("cuda", torch.bfloat16) if on_cuda else nullcontext()
        with autocast:
            projections = self.forward(views)
        loss = nt_xent_loss(
            projections[:batch_size], projections[batch_size:], self.config.temperature
        )
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        self.optimizer.step()
        self.scheduler.step()
        self.loss_sum += loss.detach()
        self.loss_count += 1

    def take_mean_loss(self) -> float:
        mean = float(self.loss_sum) / max(1, self.loss_count)
        self.loss_sum.zero_()
        self.loss_count = 0
        return mean


def _is_monitor_epoch(
    config: PretrainConfig, finished: int, total_steps: int, steps_per_epoch: int
) -> bool:
    every = config.knn_monitor_every_epochs
    if every <= 0 or finished % steps_per_epoch != 0:
        return False
    return (finished // steps_per_epoch) % every == 0 or finished == total_steps


def epoch_permutation(seed: int, epoch: int, num_images: int) -> torch.Tensor:
    """The image order of one epoch, a pure function of (seed, epoch) so resuming is exact."""
    generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    return torch.randperm(num_images, generator=generator)


def measure_knn_accuracy(
    encoder: Encoder, monitor: KnnMonitorData, device: torch.device | str = "cpu"
) -> float:
    """kNN monitor: weighted cosine kNN accuracy of h on the monitor's labeled queries."""
    from simclr_core.ssl.extract import extract_representations

    was_training = encoder.training
    bank = extract_representations(encoder, monitor.bank_images, device=device)
    queries = extract_representations(encoder, monitor.query_images, device=device)
    encoder.train(was_training)
    return knn_accuracy(bank, monitor.bank_labels.numpy(), queries, monitor.query_labels.numpy())


def load_pretrained_encoder(checkpoint_dir: Path) -> Encoder:
    """The encoder f written by :func:`pretrain` into ``checkpoint_dir`` (eval mode).

    Raises:
        FileNotFoundError: if the directory lacks ``config.json`` or ``encoder.pt``.
    """
    config = load_config(PretrainConfig, checkpoint_dir / CONFIG_FILE)
    return build_encoder(config.encoder, checkpoint_dir / ENCODER_FILE).eval()


def _resume(
    config: PretrainConfig,
    checkpoint_dir: Path | None,
    model: SimCLRModel,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    generator: torch.Generator,
) -> int:
    if checkpoint_dir is None:
        return 0
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    config_path = checkpoint_dir / CONFIG_FILE
    if config_path.exists():
        stored = json.loads(config_path.read_text())
        if stored != json.loads(json.dumps(config_to_dict(config))):
            raise ValueError(f"{checkpoint_dir} holds a run with a different config")
    else:
        save_config(config, config_path)
    state = load_training_state(checkpoint_dir)
    if state is None:
        return 0
    model.load_state_dict(state.model)
    optimizer.load_state_dict(state.optimizer)
    scheduler.load_state_dict(state.scheduler)
    restore_rng_state(state, generator)
    return state.step


def _checkpoint(
    checkpoint_dir: Path | None,
    step: int,
    model: SimCLRModel,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    generator: torch.Generator,
) -> None:
    if checkpoint_dir is None:
        return
    augmentation_rng, torch_rng, cuda_rng = capture_rng_state(generator)
    state = TrainingState(
        step,
        model.state_dict(),
        optimizer.state_dict(),
        scheduler.state_dict(),
        augmentation_rng,
        torch_rng,
        cuda_rng,
    )
    save_training_state(state, checkpoint_dir)


def _finish(
    checkpoint_dir: Path | None,
    step: int,
    model: SimCLRModel,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    generator: torch.Generator,
    metrics: dict[str, float],
) -> None:
    if checkpoint_dir is None:
        return
    _checkpoint(checkpoint_dir, step, model, optimizer, scheduler, generator)
    torch.save(model.encoder.state_dict(), checkpoint_dir / ENCODER_FILE)
    (checkpoint_dir / METRICS_FILE).write_text(json.dumps(metrics, indent=2) + "\n")
