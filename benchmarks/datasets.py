"""Where the test and benchmark data lives: ``shared/datasets`` beside the repository
(read-only, never downloaded). ``LABELAPP_DATASETS_DIR`` overrides it, and a clone made
elsewhere (a CI checkout in a temporary folder) finds the folder beside the local repository
it was cloned from. No torch here: the test fixtures import it."""

import os
import subprocess
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent


def datasets_directory() -> Path:
    if override := os.environ.get("LABELAPP_DATASETS_DIR"):
        return Path(override)
    beside = REPOSITORY.parent / "shared" / "datasets"
    if beside.is_dir():
        return beside
    origin = subprocess.run(
        ["git", "-C", str(REPOSITORY), "config", "--get", "remote.origin.url"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    if origin and Path(origin).is_dir():
        return Path(origin).resolve().parent / "shared" / "datasets"
    return beside  # missing: the tests that need it fail and name this path


CIFAR10_ARCHIVE = datasets_directory() / "cifar10-jpeg.tar.gz"
