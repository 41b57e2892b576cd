"""The app as the README's first command starts it (`labelapp run`: SQLite, file-system
broker, gunicorn and a worker, all state in LABELAPP_DATA_DIR), and a zip of CIFAR-10
images whose file names do not reveal their class."""

import io
import random
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from tests.fixtures.cifar import ARCHIVE
from tests.test_embedded_mode import RunningApp
from tests.test_embedded_mode import run_app as run_embedded_app

ADMIN_PASSWORD = "journey-admin-passphrase"


def run_app(data_dir: Path) -> Iterator[RunningApp]:
    """`labelapp run` with this journey's admin password (see tests/test_embedded_mode.py)."""
    yield from run_embedded_app(data_dir, ADMIN_PASSWORD)


def anonymous_zip(
    archive: Path,
    path: Path,
    per_class: int,
    splits: tuple[str, ...] = ("train",),
    prefix: str = "img",
    suffix: str = ".jpg",
    shares: tuple[float, ...] = (),
) -> dict[str, str]:
    """Write a zip of the first ``per_class`` files of each class (0: all) of ``splits`` of a
    ``<split>/<class>/<file>`` archive, shuffled and named <prefix>-0001.jpg...; returns
    {file name: true class name}. ``shares`` (one per class, in sorted class order) makes the
    classes unbalanced: the largest share keeps as many files as the smallest class has, the
    others a part of that in ratio."""
    taken: dict[str, list[bytes]] = {}
    with tarfile.open(archive) as tar:
        for member in tar:
            parts = member.name.split("/")
            if len(parts) != 3 or parts[0] not in splits or not member.isfile():
                continue
            bucket = taken.setdefault(parts[1], [])
            if per_class == 0 or len(bucket) < per_class:
                extracted = tar.extractfile(member)
                assert extracted is not None
                bucket.append(extracted.read())
    if shares:
        assert len(shares) == len(taken), f"{len(shares)} shares for {len(taken)} classes"
        size = min(len(files) for files in taken.values())
        for share, name in zip(shares, sorted(taken), strict=True):
            taken[name] = taken[name][: max(1, round(size * share / max(shares)))]
    pairs = [(data, name) for name, files in taken.items() for data in files]
    random.Random(7).shuffle(pairs)
    truth: dict[str, str] = {}
    with zipfile.ZipFile(path, "w") as output:
        for index, (data, class_name) in enumerate(pairs, start=1):
            file_name = f"{prefix}-{index:04d}{suffix}"
            output.writestr(file_name, io.BytesIO(data).getvalue())
            truth[file_name] = class_name
    return truth


def anonymous_cifar_zip(path: Path, per_class: int) -> dict[str, str]:
    """The first ``per_class`` CIFAR-10 training JPEGs of each class, named img-0001.jpg..."""
    return anonymous_zip(ARCHIVE, path, per_class)
