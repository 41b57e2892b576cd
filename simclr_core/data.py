"""Image datasets read from a folder or straight from a .tar/.tar.gz archive.

Both yield (image, label) pairs: image a uint8 (3, H, W) tensor, label the index of the
image's class sub-folder in ``class_names`` or -1 when the image sits in no class folder.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset, IterableDataset

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
UNLABELED = -1

ImageSet = Dataset[tuple[torch.Tensor, int]]


def decode_image(data: bytes | Path, image_size: int | None = None) -> torch.Tensor:
    """Decode an image file to a uint8 (3, H, W) RGB tensor.

    With ``image_size`` the shorter side is resized to it and the centre cropped square.

    Raises:
        PIL.UnidentifiedImageError: if the bytes are not an image PIL can read.
    """
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    with Image.open(source) as opened:
        image = opened.convert("RGB")
    if image_size is not None and image.size != (image_size, image_size):
        scale = image_size / min(image.size)
        resized = (
            max(image_size, round(image.width * scale)),
            max(image_size, round(image.height * scale)),
        )
        image = image.resize(resized, Image.Resampling.BICUBIC)
        left, top = (image.width - image_size) // 2, (image.height - image_size) // 2
        image = image.crop((left, top, left + image_size, top + image_size))
    return torch.from_numpy(np.asarray(image).copy()).permute(2, 0, 1).contiguous()


def _label_of(relative: PurePosixPath, class_names: list[str]) -> int:
    if len(relative.parts) < 2:
        return UNLABELED
    return class_names.index(relative.parts[-2])


class ImageFolderDataset(Dataset[tuple[torch.Tensor, int]]):
    """Images under ``root``, found recursively; class = name of the parent folder.

    Images directly in ``root`` are unlabeled (-1). Files are sorted by path.

    Raises:
        FileNotFoundError: if ``root`` is not a directory.
    """

    def __init__(self, root: Path, image_size: int | None = None) -> None:
        if not root.is_dir():
            raise FileNotFoundError(f"{root} is not a directory")
        self.root = root
        self.image_size = image_size
        self.paths = sorted(
            path
            for path in root.rglob("*")
            if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file()
        )
        relatives = [PurePosixPath(path.relative_to(root).as_posix()) for path in self.paths]
        self.class_names = sorted({rel.parts[-2] for rel in relatives if len(rel.parts) > 1})
        self.labels = [_label_of(rel, self.class_names) for rel in relatives]

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        return decode_image(self.paths[index], self.image_size), self.labels[index]


class TarImageDataset(IterableDataset[tuple[torch.Tensor, int]]):
    """Images read straight from a .tar / .tar.gz archive, streamed in archive order.

    ``split`` keeps only members under that top folder (e.g. "train" for
    ``train/<class>/NNNN.jpg``); class = name of the member's parent folder below it.
    The archive is scanned once for names; images are decoded while streaming, so memory
    use does not grow with the archive.

    Raises:
        FileNotFoundError: if the archive does not exist.
        ValueError: if no image member matches.
    """

    def __init__(
        self, archive: Path, split: str | None = None, image_size: int | None = None
    ) -> None:
        if not archive.is_file():
            raise FileNotFoundError(f"{archive} does not exist")
        self.archive = archive
        self.split = split
        self.image_size = image_size
        with tarfile.open(archive) as tar:
            names = [member.name for member in tar if self._wanted(member)]
        relatives = [self._relative(name) for name in names]
        self.class_names = sorted({rel.parts[-2] for rel in relatives if len(rel.parts) > 1})
        self.num_images = len(names)
        if self.num_images == 0:
            raise ValueError(f"no images in {archive} (split {split!r})")

    def __len__(self) -> int:
        return self.num_images

    def __iter__(self) -> Iterator[tuple[torch.Tensor, int]]:
        with tarfile.open(self.archive, mode="r|*") as tar:
            for member in tar:
                if not self._wanted(member):
                    continue
                file = tar.extractfile(member)
                if file is None:
                    continue
                label = _label_of(self._relative(member.name), self.class_names)
                yield decode_image(file.read(), self.image_size), label

    def _wanted(self, member: tarfile.TarInfo) -> bool:
        if not member.isfile() or PurePosixPath(member.name).suffix.lower() not in IMAGE_SUFFIXES:
            return False
        return self.split is None or PurePosixPath(member.name).parts[0] == self.split

    def _relative(self, name: str) -> PurePosixPath:
        path = PurePosixPath(name)
        return PurePosixPath(*path.parts[1:]) if self.split is not None else path


def load_labeled_images(dataset: ImageSet) -> tuple[torch.Tensor, torch.Tensor]:
    """Decode every image once into memory: uint8 (N, 3, H, W) and int64 labels (N,).

    This is the decoded-image cache that pretraining augments from (CIFAR-10's 50,000
    32x32 images take 150 MB).

    Raises:
        ValueError: if the images differ in size (give the dataset an ``image_size``).
    """
    images: list[torch.Tensor] = []
    labels: list[int] = []
    for image, label in dataset:  # type: ignore[attr-defined]
        if images and image.shape != images[0].shape:
            raise ValueError("images differ in size; set image_size on the dataset")
        images.append(image)
        labels.append(label)
    if not images:
        raise ValueError("the dataset is empty")
    return torch.stack(images), torch.tensor(labels, dtype=torch.int64)


def load_image_tensor(dataset: ImageSet) -> torch.Tensor:
    """The uint8 (N, 3, H, W) images of :func:`load_labeled_images`, without labels."""
    return load_labeled_images(dataset)[0]


def open_image_source(
    source: Path, split: str | None = None, image_size: int | None = None
) -> ImageFolderDataset | TarImageDataset:
    """A folder (``source/split`` when a split is given) or a .tar/.tar.gz archive.

    Raises:
        FileNotFoundError: if the folder or archive does not exist.
    """
    if source.is_dir():
        return ImageFolderDataset(source / split if split else source, image_size)
    return TarImageDataset(source, split, image_size)
