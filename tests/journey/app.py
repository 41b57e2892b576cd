"""The app as the README's first command starts it (`labelapp run`: SQLite, file-system
broker, gunicorn and a worker, all state in LABELAPP_DATA_DIR), and a zip of CIFAR-10
images whose file names do not reveal their class."""

import io
import random
import signal
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.test_embedded_mode import embedded_environment, free_port, wait_for_health

ROOT = Path(__file__).resolve().parents[2]
ARCHIVE = ROOT.parent / "shared" / "datasets" / "cifar10-jpeg.tar.gz"
ADMIN_PASSWORD = "journey-admin-passphrase"


@dataclass(frozen=True)
class RunningApp:
    base_url: str
    data_dir: Path


def run_app(data_dir: Path) -> Iterator[RunningApp]:
    """Start `labelapp run` on a free port; stop it with Ctrl-C and check it exits cleanly."""
    port = free_port()
    env = embedded_environment()
    env.update(LABELAPP_DATA_DIR=str(data_dir), LABELAPP_ADMIN_PASSWORD=ADMIN_PASSWORD)
    log = open(data_dir / "run.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "labelapp.cli", "run", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(base_url, process, data_dir)
        yield RunningApp(base_url, data_dir)
    finally:
        process.send_signal(signal.SIGINT)
        exit_code = process.wait(timeout=60)
        log.close()
    assert exit_code == 0, (data_dir / "run.log").read_text()[-3000:]


def anonymous_cifar_zip(path: Path, per_class: int) -> dict[str, str]:
    """Write a zip of the first ``per_class`` training JPEGs of each class, shuffled and
    named img-0001.jpg...; returns {file name: true class name}."""
    taken: dict[str, list[bytes]] = {}
    with tarfile.open(ARCHIVE, "r:gz") as tar:
        for member in tar:
            parts = member.name.split("/")
            if len(parts) != 3 or parts[0] != "train" or not member.isfile():
                continue
            bucket = taken.setdefault(parts[1], [])
            if len(bucket) < per_class:
                extracted = tar.extractfile(member)
                assert extracted is not None
                bucket.append(extracted.read())
    pairs = [(data, name) for name, files in taken.items() for data in files]
    random.Random(7).shuffle(pairs)
    truth: dict[str, str] = {}
    with zipfile.ZipFile(path, "w") as archive:
        for index, (data, class_name) in enumerate(pairs, start=1):
            file_name = f"img-{index:04d}.jpg"
            archive.writestr(file_name, io.BytesIO(data).getvalue())
            truth[file_name] = class_name
    return truth
