"""Batched colour distortion and blur kernels in float math (one parameter per image)."""

from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as F

GRAY_WEIGHTS = (0.299, 0.587, 0.114)
RGB_TO_YIQ = ((0.299, 0.587, 0.114), (0.596, -0.274, -0.322), (0.211, -0.523, 0.312))


@functools.cache
def _constant(
    values: tuple[float, ...] | tuple[tuple[float, ...], ...],
    device: torch.device,
    dtype: torch.dtype,
) -> torch.Tensor:
    # Made once per device: copying a constant to a GPU on every call would make each
    # augmentation step wait for the card to finish its queue.
    with torch.inference_mode(False):  # a normal tensor, usable under autograd too
        return torch.tensor(values, dtype=dtype).to(device)


@functools.cache
def _yiq_to_rgb() -> tuple[tuple[float, ...], ...]:
    inverse = torch.linalg.inv(torch.tensor(RGB_TO_YIQ, dtype=torch.float64))
    return tuple(tuple(row) for row in inverse.tolist())


def convert_to_grayscale(images: torch.Tensor) -> torch.Tensor:
    """ITU-R 601 luma replicated on the three channels: (batch, 3, H, W) -> same shape."""
    weights = _constant(GRAY_WEIGHTS, images.device, images.dtype)
    luma = (images * weights.view(1, 3, 1, 1)).sum(dim=1, keepdim=True)
    return luma.expand_as(images).contiguous()


def adjust_colors(
    images: torch.Tensor,
    brightness: torch.Tensor,
    contrast: torch.Tensor,
    saturation: torch.Tensor,
    hue: torch.Tensor,
) -> torch.Tensor:
    """Colour jitter with per-image factors, applied as brightness, contrast, saturation, hue.

    Each step clamps to [0, 1] as torchvision's ``ColorJitter`` does. The order is fixed
    (torchvision randomizes it per call); hue is a rotation about the gray axis in YIQ space,
    the linear counterpart of an HSV hue shift.

    Args:
        images: float (batch, 3, H, W) in [0, 1].
        brightness, contrast, saturation: (batch,) multiplicative factors (1 = unchanged).
        hue: (batch,) shift in turns (0 = unchanged).
    """
    batch = images.shape[0]

    def per_image(values: torch.Tensor) -> torch.Tensor:
        return values.view(batch, 1, 1, 1).to(images.dtype)

    images = (images * per_image(brightness)).clamp_(0, 1)
    mean_luma = convert_to_grayscale(images)[:, :1].mean(dim=(2, 3), keepdim=True)
    images = torch.lerp(mean_luma, images, per_image(contrast)).clamp_(0, 1)
    images = torch.lerp(convert_to_grayscale(images), images, per_image(saturation)).clamp_(0, 1)
    return rotate_hue(images, hue).clamp_(0, 1)


def rotate_hue(images: torch.Tensor, hue: torch.Tensor) -> torch.Tensor:
    """Rotate chroma by ``hue`` turns (batch,) in YIQ space; shapes (batch, 3, H, W)."""
    to_yiq = _constant(RGB_TO_YIQ, images.device, images.dtype)
    from_yiq = _constant(_yiq_to_rgb(), images.device, images.dtype)
    angle = hue.to(images.device, images.dtype) * 2 * math.pi
    cos, sin = torch.cos(angle), torch.sin(angle)
    rotation = torch.zeros(hue.shape[0], 3, 3, dtype=images.dtype, device=images.device)
    rotation[:, 0, 0] = 1
    rotation[:, 1, 1], rotation[:, 1, 2] = cos, -sin
    rotation[:, 2, 1], rotation[:, 2, 2] = sin, cos
    matrix = from_yiq @ rotation @ to_yiq  # (batch, 3, 3)
    return torch.einsum("bij,bjhw->bihw", matrix, images)


def blur_images(images: torch.Tensor, sigma: torch.Tensor, kernel_size: int) -> torch.Tensor:
    """Separable Gaussian blur with a per-image sigma (batch,); sigma 0 leaves an image as is.

    Shapes: (batch, 3, H, W) -> same; reflect padding keeps the size.
    """
    batch, channels, height, width = images.shape
    offsets = torch.arange(kernel_size, dtype=images.dtype, device=images.device)
    offsets = offsets - kernel_size // 2
    safe_sigma = sigma.to(images.dtype).clamp_min(1e-6).view(batch, 1)
    kernel = torch.exp(-(offsets.view(1, -1) ** 2) / (2 * safe_sigma**2))
    kernel = kernel / kernel.sum(dim=1, keepdim=True)  # sigma ~0 gives a delta kernel
    # (batch * channels, kernel_size); expand, not repeat_interleave, which may wait for a GPU
    kernel = kernel.unsqueeze(1).expand(batch, channels, kernel_size).reshape(-1, kernel_size)
    pad = kernel_size // 2
    flat = images.reshape(1, batch * channels, height, width)
    flat = F.pad(flat, (pad, pad, 0, 0), mode="reflect")
    flat = F.conv2d(flat, kernel.view(-1, 1, 1, kernel_size), groups=batch * channels)
    flat = F.pad(flat, (0, 0, pad, pad), mode="reflect")
    flat = F.conv2d(flat, kernel.view(-1, 1, kernel_size, 1), groups=batch * channels)
    return flat.view(batch, channels, height, width)
