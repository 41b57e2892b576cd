"""Image datasets from folders and archives."""

import numpy as np
import pytest
import torch

from simclr_core.data import (
    ImageFolderDataset,
    TarImageDataset,
    decode_image,
    load_labeled_images,
    open_image_source,
)

from .conftest import png_bytes


def test_folder_labels_come_from_class_folders(image_folder):
    dataset = ImageFolderDataset(image_folder / "train")
    assert dataset.class_names == ["cat", "dog"]
    images, labels = load_labeled_images(dataset)
    assert images.shape == (5, 3, 8, 8) and images.dtype == torch.uint8
    assert sorted(labels.tolist()) == [-1, 0, 0, 1, 1]
    red = images[labels == 0]
    assert (red[:, 0] == 255).all() and (red[:, 2] == 0).all()


def test_archive_is_read_without_unpacking(image_archive):
    dataset = TarImageDataset(image_archive, split="test")
    assert len(dataset) == 4 and dataset.class_names == ["cat", "dog"]
    images, labels = load_labeled_images(dataset)
    assert images.shape == (4, 3, 8, 8)
    assert sorted(labels.tolist()) == [0, 0, 1, 1]


def test_open_image_source_handles_folder_and_archive(image_folder, image_archive):
    assert len(open_image_source(image_folder, "test")) == 4
    assert len(open_image_source(image_archive, "train")) == 5


def test_decode_resizes_shorter_side_and_center_crops():
    image = decode_image(png_bytes((10, 20, 30), size=(16, 8)), image_size=4)
    assert image.shape == (3, 4, 4)
    assert np.allclose(image[:, 0, 0].numpy(), [10, 20, 30], atol=2)


def test_mixed_sizes_need_an_image_size(tmp_path):
    (tmp_path / "a.png").write_bytes(png_bytes((0, 0, 0), (8, 8)))
    (tmp_path / "b.png").write_bytes(png_bytes((0, 0, 0), (6, 6)))
    with pytest.raises(ValueError, match="image_size"):
        load_labeled_images(ImageFolderDataset(tmp_path))
    assert load_labeled_images(ImageFolderDataset(tmp_path, image_size=6))[0].shape[-1] == 6


def test_missing_sources_raise(tmp_path):
    with pytest.raises(FileNotFoundError):
        ImageFolderDataset(tmp_path / "absent")
    with pytest.raises(FileNotFoundError):
        TarImageDataset(tmp_path / "absent.tar.gz")
