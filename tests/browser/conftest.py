"""Browser-test fixtures: a Chromium page, a screenshot folder, a zip of CIFAR-10 images."""

import io
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.browser import chromium_page, screenshot_folder
from tests.fixtures.cifar import ARCHIVE


@pytest.fixture
def browser_page() -> Iterator[object]:
    with chromium_page(height=860, timeout_ms=20_000) as page:
        yield page


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    return screenshot_folder(tmp_path, "screenshots")


def cifar_zip(path: Path, count: int) -> Path:
    """A zip of the first ``count`` CIFAR-10 training JPEGs, read straight from the tar."""
    with tarfile.open(ARCHIVE) as tar, zipfile.ZipFile(path, "w") as archive:
        added = 0
        for member in tar:
            if not (member.isfile() and member.name.startswith("train/")):
                continue
            data = tar.extractfile(member)
            assert data is not None
            archive.writestr(member.name, io.BytesIO(data.read()).getvalue())
            added += 1
            if added == count:
                break
    return path
