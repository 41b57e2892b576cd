"""The batched stochastic augmentation module."""

import torch

from simclr_core.ssl.augment import (
    AugmentationConfig,
    augment_images,
    make_views,
    sample_crop_boxes,
)
from simclr_core.ssl.augment_color import adjust_colors, blur_images, rotate_hue

IDENTITY = AugmentationConfig(
    crop_scale_min=1.0,
    crop_aspect_ratio_min=1.0,
    crop_aspect_ratio_max=1.0,
    horizontal_flip_probability=0.0,
    color_jitter_probability=0.0,
    grayscale_probability=0.0,
    blur_probability=0.0,
)


def test_all_probabilities_zero_and_full_crop_is_identity(uint8_images):
    augmented = augment_images(uint8_images, IDENTITY, torch.Generator().manual_seed(0))
    torch.testing.assert_close(augmented, uint8_images.float() / 255, atol=1e-5, rtol=0)


def test_output_is_float_in_unit_range_with_requested_size(uint8_images):
    config = AugmentationConfig(output_size=6, blur_probability=0.5)
    augmented = augment_images(uint8_images, config, torch.Generator().manual_seed(0))
    assert augmented.shape == (16, 3, 6, 6)
    assert augmented.dtype == torch.float32
    assert augmented.min() >= 0 and augmented.max() <= 1


def test_each_image_gets_its_own_crop():
    boxes = sample_crop_boxes(64, 32, 32, AugmentationConfig(), torch.Generator().manual_seed(0))
    assert boxes.shape == (64, 4)
    assert len(torch.unique(boxes[:, 2].abs())) == 64
    assert (boxes[:, 2] < 0).any() and (boxes[:, 2] > 0).any()  # some flipped, some not
    assert (boxes[:, 2].abs() * boxes[:, 3] >= 0.08 - 1e-6).all()


def test_same_image_repeated_gives_different_views():
    image = torch.rand(1, 3, 8, 8).expand(8, 3, 8, 8)
    augmented = augment_images(image, AugmentationConfig(), torch.Generator().manual_seed(0))
    distinct = {tuple(view.flatten().tolist()) for view in augmented}
    assert len(distinct) == 8


def test_seeded_generator_reproduces_views(uint8_images):
    first = make_views(uint8_images, AugmentationConfig(), torch.Generator().manual_seed(3))
    second = make_views(uint8_images, AugmentationConfig(), torch.Generator().manual_seed(3))
    torch.testing.assert_close(first, second, rtol=0, atol=0)
    assert not torch.equal(first[0], first[1])


def test_grayscale_always_gives_equal_channels(uint8_images):
    config = AugmentationConfig(grayscale_probability=1.0, color_jitter_probability=0.0)
    augmented = augment_images(uint8_images, config, torch.Generator().manual_seed(0))
    torch.testing.assert_close(augmented[:, 0], augmented[:, 1])
    torch.testing.assert_close(augmented[:, 1], augmented[:, 2])


def test_float_and_uint8_inputs_agree(uint8_images):
    as_float = uint8_images.float() / 255
    from_uint8 = augment_images(
        uint8_images, AugmentationConfig(), torch.Generator().manual_seed(1)
    )
    from_float = augment_images(as_float, AugmentationConfig(), torch.Generator().manual_seed(1))
    torch.testing.assert_close(from_uint8, from_float)


def test_neutral_color_factors_change_nothing():
    images = torch.rand(4, 3, 5, 5)
    ones, zeros = torch.ones(4), torch.zeros(4)
    torch.testing.assert_close(adjust_colors(images, ones, ones, ones, zeros), images)


def test_brightness_factor_scales_and_clamps():
    images = torch.full((2, 3, 2, 2), 0.6)
    ones, zeros = torch.ones(2), torch.zeros(2)
    adjusted = adjust_colors(images, torch.tensor([0.5, 2.0]), ones, ones, zeros)
    torch.testing.assert_close(adjusted[0], torch.full((3, 2, 2), 0.3))
    torch.testing.assert_close(adjusted[1], torch.full((3, 2, 2), 1.0))


def test_hue_rotation_keeps_gray_and_full_turn_is_identity():
    gray = torch.full((1, 3, 2, 2), 0.4)
    torch.testing.assert_close(rotate_hue(gray, torch.tensor([0.25])), gray)
    colored = torch.rand(1, 3, 2, 2)
    torch.testing.assert_close(rotate_hue(colored, torch.tensor([1.0])), colored)


def test_blur_with_zero_sigma_is_identity_and_preserves_mean():
    images = torch.rand(2, 3, 8, 8)
    unblurred = blur_images(images, torch.tensor([0.0, 0.0]), 3)
    torch.testing.assert_close(unblurred, images)
    constant = torch.full((1, 3, 8, 8), 0.7)
    torch.testing.assert_close(blur_images(constant, torch.tensor([2.0]), 5), constant)


def test_parameters_are_drawn_on_the_requested_device():
    # The meta device holds no data: a parameter drawn on the CPU would show up as "cpu".
    boxes = sample_crop_boxes(4, 8, 8, AugmentationConfig(), device=torch.device("meta"))
    assert boxes.device.type == "meta"
    images = torch.zeros(4, 3, 8, 8, dtype=torch.uint8, device="meta")
    assert augment_images(images, AugmentationConfig(blur_probability=0.5)).device.type == "meta"
