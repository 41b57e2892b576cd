"""The journeys' app (`labelapp run` in a fresh data folder) and browser page."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.browser import chromium_page
from tests.journey.app import RunningApp, run_app


@pytest.fixture
def app(tmp_path: Path) -> Iterator[RunningApp]:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    yield from run_app(data_dir)


@pytest.fixture
def page() -> Iterator[Any]:
    with chromium_page(height=800, timeout_ms=30_000, accept_downloads=True) as page:
        yield page
