"""A project's images decoded once into a uint8 array that training reads directly.

Training children know nothing of Django or the media storage: the worker writes
``images_<size>.npy`` (N, 3, size, size) and ``image_ids.npy`` (N,) under a local cache
folder, reading each image through the storage API (so S3 works), and reuses rows of
the previous cache for images it already decoded. A row is reused only when both the image
id and its content hash match, so a cache left by an earlier database (a reinstall or a
restored backup whose ids start again at 1) is never mistaken for these images.
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


def cache_path(project_id: int) -> Path:
    """Where the project's decoded images live (deleted with the project)."""
    return Path(settings.DATA_DIR) / "cache" / f"project-{project_id}"


def cache_directory(project_id: int) -> Path:
    directory = cache_path(project_id)
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
    hashes_path = directory / f"image_hashes_{size}.npy"
    rows = list(
        Image.objects.filter(project_id=project_id)
        .order_by("id")
        .values_list("id", "file", "content_hash")
    )
    ids = np.array([image_id for image_id, _, _ in rows], dtype=np.int64)
    hashes = np.array([content_hash for _, _, content_hash in rows], dtype="U64")
    previous = _load_previous(images_path, ids_path, hashes_path)
    if (
        previous is not None
        and np.array_equal(previous[0], ids)
        and np.array_equal(previous[1], hashes)
    ):
        return ImageCache(images_path, ids_path, len(ids))
    temporary = directory / f"images_{size}.partial.npy"
    array = np.lib.format.open_memmap(
        temporary, mode="w+", dtype=np.uint8, shape=(len(ids), 3, size, size)
    )
    previous_ids, previous_hashes, previous_images = previous or ([], [], None)
    previous_rows = {
        (int(image_id), str(content_hash)): row
        for row, (image_id, content_hash) in enumerate(
            zip(previous_ids, previous_hashes, strict=True)
        )
    }
    for row, (image_id, file_name, content_hash) in enumerate(rows):
        if previous_images is not None and (image_id, content_hash) in previous_rows:
            array[row] = previous_images[previous_rows[image_id, content_hash]]
        else:
            array[row] = decode_square(file_name, size)
        if progress is not None and row % 200 == 0:
            progress(row / max(1, len(rows)))
    array.flush()
    del array
    # without ids the next run rebuilds: a crash here never pairs new rows with old ids
    ids_path.unlink(missing_ok=True)
    hashes_path.unlink(missing_ok=True)
    temporary.replace(images_path)
    np.save(ids_path, ids)
    np.save(hashes_path, hashes)
    return ImageCache(images_path, ids_path, len(ids))


def _load_previous(
    images_path: Path, ids_path: Path, hashes_path: Path
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(ids, content hashes, images) of the cache on disk, or None if any part is missing."""
    if not (images_path.exists() and ids_path.exists() and hashes_path.exists()):
        return None
    try:
        return np.load(ids_path), np.load(hashes_path), np.load(images_path, mmap_mode="r")
    except (OSError, ValueError):
        return None
