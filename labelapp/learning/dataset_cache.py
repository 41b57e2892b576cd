"""A project's images decoded once into a uint8 array that training reads directly.

Training children know nothing of Django or the media storage: the worker writes
``images_<size>.npy`` (N, 3, size, size) and ``image_ids.npy`` (N,) under a local cache
folder, reading each image through the storage API (so S3 works), and reuses rows of
the previous cache for images it already decoded.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.files.storage import default_storage
from PIL import Image as PILImage
from PIL import ImageOps

from labelapp.images.models import Image

ProgressCallback = Callable[[float], None]


@dataclass(frozen=True)
class ImageCache:
    images_path: Path
    ids_path: Path
    count: int


def cache_directory(project_id: int) -> Path:
    directory = Path(settings.DATA_DIR) / "cache" / f"project-{project_id}"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def decode_square(file_name: str, size: int) -> np.ndarray:
    """Open a stored image, centre-crop it square, resize, and return (3, size, size) uint8."""
    with default_storage.open(file_name) as stored, PILImage.open(stored) as picture:
        square = ImageOps.fit(picture.convert("RGB"), (size, size), PILImage.Resampling.BICUBIC)
        return np.asarray(square, dtype=np.uint8).transpose(2, 0, 1)


def build_image_cache(
    project_id: int, size: int, progress: ProgressCallback | None = None
) -> ImageCache:
    directory = cache_directory(project_id)
    images_path = directory / f"images_{size}.npy"
    ids_path = directory / f"image_ids_{size}.npy"
    rows = list(
        Image.objects.filter(project_id=project_id).order_by("id").values_list("id", "file")
    )
    ids = np.array([image_id for image_id, _ in rows], dtype=np.int64)
    previous = _load_previous(images_path, ids_path)
    if previous is not None and np.array_equal(previous[0], ids):
        return ImageCache(images_path, ids_path, len(ids))
    temporary = directory / f"images_{size}.partial.npy"
    array = np.lib.format.open_memmap(
        temporary, mode="w+", dtype=np.uint8, shape=(len(ids), 3, size, size)
    )
    previous_rows = {} if previous is None else {int(i): row for row, i in enumerate(previous[0])}
    for row, (image_id, file_name) in enumerate(rows):
        if image_id in previous_rows and previous is not None:
            array[row] = previous[1][previous_rows[image_id]]
        else:
            array[row] = decode_square(file_name, size)
        if progress is not None and row % 200 == 0:
            progress(row / max(1, len(rows)))
    array.flush()
    del array
    temporary.replace(images_path)
    np.save(ids_path, ids)
    return ImageCache(images_path, ids_path, len(ids))


def _load_previous(images_path: Path, ids_path: Path) -> tuple[np.ndarray, np.ndarray] | None:
    if not (images_path.exists() and ids_path.exists()):
        return None
    try:
        return np.load(ids_path), np.load(images_path, mmap_mode="r")
    except (OSError, ValueError):
        return None
