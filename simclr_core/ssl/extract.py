"""Representation extraction: h = f(x) for any number of images, batched and streamed."""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval
from torch.utils.data import DataLoader, Dataset, IterableDataset

from simclr_core.ssl.encoder import Encoder, channels_last_is_safe

ImageSource = torch.Tensor | Dataset[Any] | Iterable[torch.Tensor]
# On a CPU, batches of about 16 photos' worth of pixels at 224 px: their activations stay in
# the caches (EfficientNet-Lite0: 51 images/s at 16, 42 at 32; benchmarks/embed_speed.py).
CPU_PIXELS_PER_BATCH = 16 * 224 * 224


def iterate_representations(
    encoder: Encoder,
    images: ImageSource,
    batch_size: int | None = None,
    device: torch.device | str = "cpu",
) -> Iterator[np.ndarray]:
    """Yield representations h batch by batch, (batch, encoder.output_dim) float32 arrays.

    Inference mode and (on CUDA) bf16 autocast are entered for each forward pass and left
    before the batch is yielded, so the caller's code between batches runs in its own modes.

    Args:
        encoder: the base encoder f; put in eval mode and moved to ``device``.
        images: a uint8/float (N, 3, H, W) tensor (on the CPU or already on ``device``), a
            Dataset yielding images or (image, label) pairs, or any iterable of
            (batch, 3, H, W) tensors. Only one batch is held in memory at a time (besides what
            the source itself holds).
        batch_size: images per forward pass (ignored for an iterable of batches); None picks
            :func:`default_batch_size` for the images' side.
        device: where to run; CUDA uses bf16 autocast and non-blocking copies.
    """
    device = torch.device(device)
    on_cuda = device.type == "cuda"
    batch_size = batch_size or default_batch_size(_side(images), device)
    # channels_last where it is safe (encoder.channels_last_is_safe), on a CPU too: it
    # halves the time of EfficientNet's depthwise convolutions at 224 px (measured 2.8 ->
    # 5.9 images/s per core pair). The encoder stays so, and may train on afterwards.
    encoder.eval().to(device)
    channels_last = channels_last_is_safe(encoder, device)
    if channels_last:
        encoder.to(memory_format=torch.channels_last)
    model: nn.Module = encoder
    for index, batch in enumerate(_batches(images, batch_size, pin_memory=on_cuda)):
        if index == 0 and device.type == "cpu":
            model = fold_batch_norms(encoder, _placed(batch[:2], device, channels_last))
        yield _represent(model, batch, device, channels_last)


def default_batch_size(side: int, device: torch.device | str) -> int:
    """Images per forward pass for images ``side`` px square: on a GPU big batches (small
    ones leave the card idle), on a CPU :data:`CPU_PIXELS_PER_BATCH` pixels (16 at 224 px,
    512 at 32 px at most)."""
    if torch.device(device).type == "cuda":
        return 2048 if side <= 64 else 256
    return max(1, min(512, CPU_PIXELS_PER_BATCH // (side * side)))


def _side(images: ImageSource) -> int:
    """The images' width where it can be read without taking a batch, else 224 (photos)."""
    if isinstance(images, torch.Tensor) and images.dim() == 4:
        return int(images.shape[-1])
    if isinstance(images, Dataset) and not isinstance(images, IterableDataset):
        first = images[0]
        first = first[0] if isinstance(first, list | tuple) else first
        if isinstance(first, torch.Tensor):
            return int(first.shape[-1])
    return 224


def fold_batch_norms(model: nn.Module, probe: torch.Tensor) -> nn.Module:
    """A copy of eval-mode ``model`` in which every batch norm that only ever normalizes the
    output of one convolution is folded into that convolution's weights and bias.

    Inference only: an eval-mode batch norm is an affine map, so the copy computes the same h
    with two passes over each activation fewer. On a 2-core CPU that extracts EfficientNet-Lite0
    at 224 px 1.5 to 2 times faster (benchmarks/embed_speed.py). The pairs are found by running
    ``probe`` through the model, and the copy is checked against the model on it: the model
    itself is returned when nothing folds or the two disagree.
    """
    folded = copy.deepcopy(model).eval()
    made_by: dict[int, tuple[nn.Conv2d, torch.Tensor]] = {}
    sources: defaultdict[nn.Module, set[nn.Conv2d | None]] = defaultdict(set)

    def remember(conv: nn.Module, _: Any, output: torch.Tensor) -> None:
        made_by[id(output)] = (conv, output)  # type: ignore[assignment]

    def pair(norm: nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
        made = made_by.get(id(inputs[0]))
        sources[norm].add(made[0] if made is not None and made[1] is inputs[0] else None)

    layers = list(folded.named_modules())
    hooks = [
        layer.register_forward_hook(remember) for _, layer in layers if isinstance(layer, nn.Conv2d)
    ]
    hooks += [
        layer.register_forward_pre_hook(pair)
        for _, layer in layers
        if isinstance(layer, nn.BatchNorm2d) and layer.track_running_stats
    ]
    with torch.inference_mode():
        reference = folded(probe)
    for hook in hooks:
        hook.remove()
    norms_of: defaultdict[nn.Conv2d, list[nn.Module]] = defaultdict(list)
    for norm, convs in sources.items():
        conv = next(iter(convs))
        if len(convs) == 1 and conv is not None:
            norms_of[conv].append(norm)
    names = {layer: name for name, layer in layers}
    pairs = [(conv, norms[0]) for conv, norms in norms_of.items() if len(norms) == 1]
    if not pairs:
        return model
    for conv, norm in pairs:
        _replace(folded, names[conv], fuse_conv_bn_eval(conv, norm))  # type: ignore[arg-type]
        _replace(folded, names[norm], nn.Identity())
    if probe.is_contiguous(memory_format=torch.channels_last) and probe.dim() == 4:
        folded.to(memory_format=torch.channels_last)
    with torch.inference_mode():
        output = folded(probe)
    scale = float(reference.abs().max()) or 1.0
    if not torch.allclose(output, reference, rtol=1e-3, atol=1e-4 * scale):
        return model
    return folded


def _replace(model: nn.Module, name: str, layer: nn.Module) -> None:
    parent, _, attribute = name.rpartition(".")
    setattr(model.get_submodule(parent), attribute, layer)


def _placed(batch: torch.Tensor, device: torch.device, channels_last: bool) -> torch.Tensor:
    batch = batch.to(device, non_blocking=True)
    if channels_last and batch.dim() == 4:
        batch = batch.contiguous(memory_format=torch.channels_last)
    return batch


def _represent(
    model: nn.Module, batch: torch.Tensor, device: torch.device, channels_last: bool
) -> np.ndarray:
    # The modes live only inside this call: a generator that held them across its yield
    # would leak them into the caller (bf16 tensors reached .numpy() there and crashed).
    on_cuda = device.type == "cuda"
    with torch.inference_mode(), torch.autocast(device.type, torch.bfloat16, enabled=on_cuda):
        batch = _placed(batch, device, channels_last)
        representations: np.ndarray = model(batch).float().cpu().numpy()
    return representations


def extract_representations(
    encoder: Encoder,
    images: ImageSource,
    batch_size: int | None = None,
    device: torch.device | str = "cpu",
    output: np.ndarray | None = None,
) -> np.ndarray:
    """Compute h for all images into one (N, output_dim) float32 array.

    Pass ``output`` (e.g. an ``np.memmap`` opened with mode "w+") to stream into a file; else
    an array is allocated when the number of images is known (tensor or sized dataset) and
    batches are concatenated otherwise.

    Raises:
        ValueError: if ``output`` has the wrong width or fewer rows than there are images.
    """
    total = _known_length(images)
    if output is None and total is not None:
        output = np.empty((total, encoder.output_dim), dtype=np.float32)
    if output is not None and output.shape[1:] != (encoder.output_dim,):
        raise ValueError(f"output must be (N, {encoder.output_dim}), got {output.shape}")
    if output is None:
        chunks = list(iterate_representations(encoder, images, batch_size, device))
        return np.concatenate(chunks) if chunks else np.empty((0, encoder.output_dim), np.float32)
    filled = 0
    for chunk in iterate_representations(encoder, images, batch_size, device):
        if filled + len(chunk) > len(output):
            raise ValueError(f"more images than the {len(output)} rows of output")
        output[filled : filled + len(chunk)] = chunk
        filled += len(chunk)
    return output[:filled] if filled < len(output) else output


def _known_length(images: ImageSource) -> int | None:
    if isinstance(images, torch.Tensor):
        return int(images.shape[0])
    if isinstance(images, Dataset) and not isinstance(images, IterableDataset):
        try:
            return len(images)  # type: ignore[arg-type]
        except TypeError:
            return None
    return None


def _batches(images: ImageSource, batch_size: int, pin_memory: bool) -> Iterator[torch.Tensor]:
    if isinstance(images, torch.Tensor):
        for start in range(0, images.shape[0], batch_size):
            yield images[start : start + batch_size]
        return
    if isinstance(images, Dataset):
        loader = DataLoader(images, batch_size=batch_size, pin_memory=pin_memory)
        for batch in loader:
            yield batch[0] if isinstance(batch, list | tuple) else batch
        return
    yield from images
