"""The embedded default, as `make run` starts it: SQLite, file-system broker, gunicorn and a
worker process, all state in one data directory. Exercised over HTTP like a newcomer would."""

import http.cookiejar
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fixtures.workers import free_port

ROOT = Path(__file__).resolve().parents[1]
ADMIN_PASSWORD = "embedded-test-password"


class Browser:
    """A cookie-keeping HTTP client that speaks Django's CSRF protocol."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def request(self, path: str, data: dict[str, str] | None = None) -> tuple[int, bytes]:
        body = None
        headers = {"Referer": self.base_url + path}
        if data is not None:
            body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.csrf()}).encode()
        request = urllib.request.Request(self.base_url + path, data=body, headers=headers)
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def csrf(self) -> str:
        return next(cookie.value for cookie in self.cookies if cookie.name == "csrftoken")


def embedded_environment() -> dict[str, str]:
    """This environment without the production variables: the embedded default."""
    production = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "MEDIA_ROOT"}
    return {key: value for key, value in os.environ.items() if key not in production}


@dataclass(frozen=True)
class RunningApp:
    base_url: str
    data_dir: Path


def run_app(data_dir: Path, admin_password: str = ADMIN_PASSWORD) -> Iterator[RunningApp]:
    """Start `labelapp run` on a free port; stop it with Ctrl-C and check it exits cleanly."""
    port = free_port()
    env = embedded_environment()
    env.update(LABELAPP_DATA_DIR=str(data_dir), LABELAPP_ADMIN_PASSWORD=admin_password)
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


@pytest.fixture(scope="module")
def embedded_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    for app in run_app(tmp_path_factory.mktemp("embedded-data")):
        yield app.base_url, app.data_dir


def wait_for_health(base_url: str, process: subprocess.Popen[bytes], data_dir: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, (data_dir / "run.log").read_text()[-3000:]
        try:
            with urllib.request.urlopen(base_url + "/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:  # refused, reset or timed out while it starts
            pass
        time.sleep(1)
    raise TimeoutError((data_dir / "run.log").read_text()[-3000:])


def test_embedded_state_lives_in_the_data_directory(embedded_app: tuple[str, Path]) -> None:
    _, data_dir = embedded_app

    assert (data_dir / "labelapp.sqlite3").exists()
    assert (data_dir / "secret_key").stat().st_mode & 0o077 == 0
    assert (data_dir / "broker" / "queue").is_dir()


def test_embedded_healthz_reports_worker(embedded_app: tuple[str, Path]) -> None:
    base_url, _ = embedded_app

    with urllib.request.urlopen(base_url + "/healthz", timeout=10) as response:
        body = json.loads(response.read())

    assert body == {**body, "database": True, "broker": True, "worker": True}


def test_embedded_job_from_web_request_runs_in_worker(embedded_app: tuple[str, Path]) -> None:
    base_url, _ = embedded_app
    browser = Browser(base_url)
    browser.request("/accounts/login/")
    status, _ = browser.request(
        "/accounts/login/", {"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert status == 200

    status, body = browser.request("/system/selfcheck/", {"echo": "embedded"})
    assert status == 202, body[:500]
    job_id = json.loads(body)["id"]

    job = poll_job(browser, job_id)
    assert job["status"] == "succeeded", job
    assert job["result"]["echo"] == "embedded"
    assert re.match(r"worker@", job["worker"])


def poll_job(browser: Browser, job_id: int, timeout: float = 60) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, body = browser.request(f"/system/jobs/{job_id}/")
        job: dict[str, object] = json.loads(body)
        if job["status"] in {"succeeded", "failed", "cancelled"}:
            return job
        time.sleep(0.5)
    raise TimeoutError(f"job {job_id} did not finish")


def run_in_embedded_app(data_dir: Path, *arguments: str) -> dict[str, int]:
    env = {**embedded_environment(), "LABELAPP_DATA_DIR": str(data_dir)}
    env["DJANGO_SETTINGS_MODULE"] = "labelapp.settings"
    output = subprocess.run(
        [sys.executable, "-m", "tests.embedded_chain", *arguments],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=True,
    ).stdout  # fmt: skip
    result: dict[str, int] = json.loads(output.strip().splitlines()[-1])
    return result


def watch_job(data_dir: Path, job_id: int, timeout: float = 400) -> tuple[tuple, list[float]]:
    """Poll the SQLite file like a second process would; returns the final row and the
    progress values seen while the job ran."""
    seen: list[float] = []
    deadline = time.monotonic() + timeout
    with sqlite3.connect(data_dir / "labelapp.sqlite3", timeout=30) as database:
        while time.monotonic() < deadline:
            row = database.execute(
                "SELECT status, progress, error, result FROM jobs_job WHERE id = ?", (job_id,)
            ).fetchone()
            if row[0] == "running":
                seen.append(row[1])
            if row[0] in {"succeeded", "failed", "cancelled"}:
                return row, seen
            time.sleep(0.5)
    raise TimeoutError(f"job {job_id} did not finish")


def test_embedded_pretrain_train_predict_chain(embedded_app: tuple[str, Path]) -> None:
    _, data_dir = embedded_app

    pretrain = run_in_embedded_app(data_dir, "pretrain")
    row, progress_seen = watch_job(data_dir, pretrain["job"])
    assert row[0] == "succeeded", row[2]
    assert any(0 < value < 1 for value in progress_seen)
    retrain = run_in_embedded_app(data_dir, "retrain")
    row, _ = watch_job(data_dir, retrain["job"])

    assert row[0] == "succeeded", row[2]
    classifier_id = json.loads(row[3])["model_version"]
    with sqlite3.connect(data_dir / "labelapp.sqlite3") as database:
        counts = database.execute(
            "SELECT COUNT(*), COUNT(DISTINCT image_id) FROM learning_prediction"
            " WHERE model_version_id = ?", (classifier_id,),
        ).fetchone()  # fmt: skip
        current = database.execute(
            "SELECT current_classifier_id FROM projects_project WHERE id = ?",
            (retrain["project"],),
        ).fetchone()[0]
    assert counts == (100, 100)  # every image tests/embedded_chain.py added, once
    assert current == classifier_id
