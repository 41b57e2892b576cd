"""SimCLR's stochastic data augmentation module, applied to a whole batch at once on-device.

Every image gets its own random parameters (crop box, flip, jitter factors, grayscale, blur),
drawn from a seeded ``torch.Generator`` on the generator's device (the images' device when none
is given). With a generator on the GPU nothing is copied between host and card and nothing
waits for the card; the pixel work always happens on the images' device.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from simclr_core.ssl.augment_color import adjust_colors, blur_images, convert_to_grayscale


@dataclass(frozen=True)
class AugmentationConfig:
    """Parameters of the augmentation module; defaults are the paper's (ImageNet) values.

    ``output_size`` None keeps the input size. ``color_jitter_strength`` is the paper's s:
    brightness, contrast and saturation factors are drawn from [1 - 0.8s, 1 + 0.8s] and the hue
    shift from [-0.2s, 0.2s] (the paper uses s=0.5 for CIFAR-10). ``blur_probability`` None
    means "paper default": 0.5 for images larger than 32 px, off for 32 px and smaller.
    """

    output_size: int | None = None
    crop_scale_min: float = 0.08
    crop_scale_max: float = 1.0
    crop_aspect_ratio_min: float = 3 / 4
    crop_aspect_ratio_max: float = 4 / 3
    horizontal_flip_probability: float = 0.5
    color_jitter_strength: float = 1.0
    color_jitter_probability: float = 0.8
    grayscale_probability: float = 0.2
    blur_probability: float | None = None
    blur_sigma_min: float = 0.1
    blur_sigma_max: float = 2.0
    blur_kernel_fraction: float = 0.1


def augment_images(
    images: torch.Tensor,
    config: AugmentationConfig,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Apply the stochastic augmentation t ~ T to each image of a batch independently.

    Args:
        images: (batch, 3, height, width), uint8 in 0..255 or float in [0, 1], any device.
        config: augmentation parameters.
        generator: generator for the random parameters (seeded runs), on the CPU or on the
            images' device; the global RNG of the images' device if None.

    Returns:
        float32 tensor (batch, 3, size, size) in [0, 1] on the images' device, where size is
        ``config.output_size`` or the input height.

    Raises:
        ValueError: if ``images`` is not a (batch, 3, H, W) tensor.
    """
    if images.dim() != 4 or images.shape[1] != 3:
        raise ValueError(f"expected images of shape (batch, 3, H, W), got {tuple(images.shape)}")
    batch, _, height, width = images.shape
    size = config.output_size or height
    floats = images.float().div(255.0) if images.dtype == torch.uint8 else images.float()
    boxes = sample_crop_boxes(batch, height, width, config, generator, images.device)
    floats = crop_and_resize(floats, boxes, size)
    # Which steps run depends on the config only, never on the drawn values: testing
    # ``drawn.any()`` would make every step wait for the GPU.
    colored = _draw(batch, config.color_jitter_probability, generator, images.device)
    if config.color_jitter_strength > 0 and config.color_jitter_probability > 0:
        factors = sample_color_factors(
            batch, config.color_jitter_strength, generator, images.device
        )
        jittered = adjust_colors(floats, *(factor.to(floats.device) for factor in factors))
        floats = torch.where(colored.to(floats.device).view(-1, 1, 1, 1), jittered, floats)
    gray = _draw(batch, config.grayscale_probability, generator, images.device)
    if config.grayscale_probability > 0:
        floats = torch.where(
            gray.to(floats.device).view(-1, 1, 1, 1), convert_to_grayscale(floats), floats
        )
    blur_probability = config.blur_probability
    if blur_probability is None:
        blur_probability = 0.5 if size > 32 else 0.0
    blurred = _draw(batch, blur_probability, generator, images.device)
    if blur_probability > 0:
        sigma = _uniform(
            batch, config.blur_sigma_min, config.blur_sigma_max, generator, images.device
        )
        kernel_size = max(3, int(config.blur_kernel_fraction * size) // 2 * 2 + 1)
        sigma = torch.where(blurred, sigma, torch.zeros_like(sigma))
        floats = blur_images(floats, sigma.to(floats.device), kernel_size)
    return floats


def make_views(
    images: torch.Tensor,
    config: AugmentationConfig,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Two correlated views x~_i, x~_j of each image (two independent draws of t ~ T).

    Shapes: (batch, 3, H, W) -> two (batch, 3, size, size) float tensors.
    """
    return augment_images(images, config, generator), augment_images(images, config, generator)


def sample_crop_boxes(
    batch: int,
    height: int,
    width: int,
    config: AugmentationConfig,
    generator: torch.Generator | None = None,
    device: torch.device | None = None,
) -> torch.Tensor:
    """Random resized crop boxes, as torchvision's RandomResizedCrop samples them.

    Up to 10 tries per image of (area scale, log-uniform aspect ratio); images with no box
    that fits fall back to the whole image. A horizontal flip is folded in as a negative width.

    Returns:
        (batch, 4) float tensor of (center_x, center_y, width, height) in [-1, 1] coordinates,
        on the generator's device (else ``device``, else the CPU).
    """
    tries = 10
    scale = _uniform(
        (batch, tries), config.crop_scale_min, config.crop_scale_max, generator, device
    )
    area = height * width * scale
    log_ratio = _uniform(
        (batch, tries),
        math.log(config.crop_aspect_ratio_min),
        math.log(config.crop_aspect_ratio_max),
        generator,
        device,
    )
    ratio = torch.exp(log_ratio)
    box_width = torch.sqrt(area * ratio)
    box_height = torch.sqrt(area / ratio)
    fits = (box_width <= width) & (box_height <= height)
    first_fit = torch.argmax(fits.int(), dim=1, keepdim=True)
    any_fit = fits.any(dim=1)
    box_width = torch.where(any_fit, box_width.gather(1, first_fit).squeeze(1), float(width))
    box_height = torch.where(any_fit, box_height.gather(1, first_fit).squeeze(1), float(height))
    left = _uniform(batch, 0.0, 1.0, generator, device) * (width - box_width)
    top = _uniform(batch, 0.0, 1.0, generator, device) * (height - box_height)
    center_x = (left + box_width / 2) / width * 2 - 1
    center_y = (top + box_height / 2) / height * 2 - 1
    flip = _draw(batch, config.horizontal_flip_probability, generator, device)
    signed_width = torch.where(flip, -box_width, box_width) / width
    return torch.stack([center_x, center_y, signed_width, box_height / height], dim=1)


def crop_and_resize(images: torch.Tensor, boxes: torch.Tensor, size: int) -> torch.Tensor:
    """Crop each image to its box and resample it to (size, size) with bilinear interpolation.

    Implemented as one per-sample affine grid + ``grid_sample`` for the whole batch.

    Args:
        images: float (batch, 3, H, W).
        boxes: (batch, 4) from :func:`sample_crop_boxes`.
        size: output side in pixels.
    """
    batch = images.shape[0]
    boxes = boxes.to(images.device, images.dtype)
    zeros = torch.zeros_like(boxes[:, 0])
    theta = torch.stack(
        [
            torch.stack([boxes[:, 2], zeros, boxes[:, 0]], dim=1),
            torch.stack([zeros, boxes[:, 3], boxes[:, 1]], dim=1),
        ],
        dim=1,
    )  # (batch, 2, 3)
    grid = F.affine_grid(theta, [batch, 3, size, size], align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="border", align_corners=False)


def sample_color_factors(
    batch: int,
    strength: float,
    generator: torch.Generator | None = None,
    device: torch.device | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-image (brightness, contrast, saturation, hue) factors for colour distortion strength s.

    Returns four (batch,) tensors; hue is a shift in turns in [-0.2s, 0.2s] (capped at 0.5).
    """
    spread = 0.8 * strength
    low = max(0.0, 1 - spread)
    brightness = _uniform(batch, low, 1 + spread, generator, device)
    contrast = _uniform(batch, low, 1 + spread, generator, device)
    saturation = _uniform(batch, low, 1 + spread, generator, device)
    hue_spread = min(0.5, 0.2 * strength)
    hue = _uniform(batch, -hue_spread, hue_spread, generator, device)
    return brightness, contrast, saturation, hue


def _uniform(
    shape: int | tuple[int, ...],
    low: float,
    high: float,
    generator: torch.Generator | None,
    device: torch.device | None = None,
) -> torch.Tensor:
    size = (shape,) if isinstance(shape, int) else shape
    on = generator.device if generator is not None else device
    return torch.rand(size, generator=generator, device=on) * (high - low) + low


def _draw(
    batch: int,
    probability: float,
    generator: torch.Generator | None,
    device: torch.device | None = None,
) -> torch.Tensor:
    return _uniform(batch, 0.0, 1.0, generator, device) < probability
