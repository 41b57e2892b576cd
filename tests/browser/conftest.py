"""Headless Debian Chromium for browser tests (never `playwright install`)."""

import io
import os
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ARCHIVE = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "cifar10-jpeg.tar.gz"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser_page() -> Iterator[object]:
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True
        )
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        page.set_default_timeout(20_000)
        yield page
        browser.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("LABELAPP_SCREENSHOT_DIR") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots in {folder}")
    return folder


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
