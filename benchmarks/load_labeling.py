"""Many labelers at once against the production server: throughput, latency, no lost label.

For each setup (PostgreSQL, then the embedded SQLite) this starts gunicorn exactly as
``labelapp web`` does, on a fresh database holding one project with 2,000 tiny images and
50 labeler accounts (signed-in sessions). Then, for each user count, that many threads act
as labelers for ``--seconds``: open a random page of the labeling grid, label a few tiles
through the same JSON endpoint the page uses (with the label_version the page showed), and
on a 409 take the versions the server sent back and try once more, as the page does.
With ``--think-seconds T`` each labeler pauses a random 0.5T-1.5T before every request, as a
person looking at the tiles does; with 0 (the default) they hammer the server back to back,
which measures where it saturates rather than what 50 people would see.

Every label the server acknowledged (ok=true) is recorded; afterwards the Label history of
the run must hold exactly those writes, one row each, in version order, and each image's
current label must be its last acknowledged one.

    .venv/bin/python benchmarks/load_labeling.py --users 5,20,50 --seconds 60
    .venv/bin/python benchmarks/load_labeling.py --users 50 --think-seconds 1 --setups postgresql

Traffic stays on 127.0.0.1. Writes benchmarks/results/load_labeling.json and prints tables.
"""

import argparse
import http.client
import json
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
TILE = re.compile(r'data-image-id="(\d+)" data-version="(\d+)"')
POSTGRES_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"


# ---- run inside Django (subprocesses with the server's environment) -------------------------


def populate(images: int, users: int) -> dict[str, Any]:
    """One project, its classes, ``images`` rows sharing one tiny stored file, and
    ``users`` labelers with a session each."""
    import hashlib

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from labelapp.images.models import Image
    from labelapp.projects.models import LabelClass, Membership, Project, Role

    stored = default_storage.save("images/load.jpg", ContentFile(_tiny_jpeg()))
    owner = User.objects.create(username="owner")
    project = Project.objects.create(name="Load", created_by=owner)
    Membership.objects.create(project=project, user=owner, role=Role.OWNER)
    classes = [
        LabelClass.objects.create(project=project, name=f"class {n}", key=str(n), position=n)
        for n in range(5)
    ]
    Image.objects.bulk_create(
        Image(project=project, file=stored, thumbnail=stored, width=8, height=8, format="JPEG",
              content_hash=hashlib.sha256(str(n).encode()).hexdigest(), original_name=f"{n}.jpg")
        for n in range(images)
    )  # fmt: skip
    sessions = []
    for n in range(users):
        user = User.objects.create(username=f"labeler{n}")
        Membership.objects.create(project=project, user=user, role=Role.LABELER)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        sessions.append(session.session_key)
    return {"project": project.pk, "classes": [c.pk for c in classes], "sessions": sessions}


def _tiny_jpeg() -> bytes:
    import io

    from PIL import Image as PILImage

    buffer = io.BytesIO()
    PILImage.new("RGB", (8, 8), (120, 60, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


def label_state(project_id: int, after_label_id: int) -> dict[str, Any]:
    """The Label rows newer than ``after_label_id`` and every image's current state."""
    from labelapp.images.models import Image, Label

    rows = Label.objects.filter(image__project_id=project_id, pk__gt=after_label_id).order_by("pk")
    return {
        "labels": [[r.pk, r.image_id, r.label_class_id] for r in rows],
        "images": {
            str(i.pk): [i.current_label_id, i.label_version]
            for i in Image.objects.filter(project_id=project_id)
        },
        "max_label_id": Label.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
    }


def django_main(command: str, arguments: list[str]) -> None:
    import django

    django.setup()
    if command == "populate":
        result = populate(int(arguments[0]), int(arguments[1]))
    else:
        result = label_state(int(arguments[0]), int(arguments[1]))
    print("RESULT " + json.dumps(result))


# ---- the server ------------------------------------------------------------------------------


def server_environment(setup: str, data_dir: Path) -> dict[str, str]:
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH"}
    environment = {k: v for k, v in os.environ.items() if k in keep}
    environment.update(
        DJANGO_SETTINGS_MODULE="labelapp.settings",
        LABELAPP_DATA_DIR=str(data_dir),
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
    )
    if setup == "postgresql":
        environment["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/labelapp_load"
    return environment


def fresh_postgres_database() -> None:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
        connection.execute("DROP DATABASE IF EXISTS labelapp_load WITH (FORCE)")
        connection.execute("CREATE DATABASE labelapp_load")


def in_django(environment: dict[str, str], *arguments: str) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, __file__, "--django", *arguments], cwd=ROOT, env=environment,
        capture_output=True, text=True, check=True, timeout=600,
    ).stdout  # fmt: skip
    line = next(x for x in output.splitlines() if x.startswith("RESULT "))
    return dict(json.loads(line[len("RESULT ") :]))


def start_server(environment: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    from labelapp.cli import web_command

    manage = [sys.executable, "manage.py"]
    for step in (["migrate", "-v0"], ["collectstatic", "--no-input", "-v0"]):
        subprocess.run([*manage, *step], cwd=ROOT, env=environment, check=True, timeout=600)
    command = web_command(f"127.0.0.1:{port}", workers)
    command.remove("--access-logfile")
    command.remove("-")
    server = subprocess.Popen(command, cwd=ROOT, env=environment, start_new_session=True)
    deadline = time.monotonic() + 240  # each worker imports the app (numpy, torch) first
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/accounts/login/")  # /healthz also wants a worker
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.3)
    stop_server(server)
    raise RuntimeError("gunicorn did not answer within 240 s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


# ---- the labelers ----------------------------------------------------------------------------


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"page": [], "label": []})
    errors: list[str] = field(default_factory=list)
    conflicts: int = 0
    acknowledged: list[tuple[int, int | None, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Labeler:
    def __init__(
        self, port: int, session: str, setup: dict[str, Any], tally: Tally, think: float
    ) -> None:
        csrf = secrets.token_hex(16)  # an unmasked 32-character token, cookie and header alike
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Cookie": f"sessionid={session}; csrftoken={csrf}", "X-CSRFToken": csrf}
        self.project, self.classes, self.tally = setup["project"], setup["classes"], tally
        self.random = random.Random(session)
        self.think = think

    def pause(self) -> None:
        if self.think:
            time.sleep(self.think * self.random.uniform(0.5, 1.5))

    def request(self, kind: str, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        headers = dict(self.headers)
        data = None
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body), "application/json"
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=data, headers=headers)
            response = self.connection.getresponse()
            status, content = response.status, response.read()
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()
            with self.tally.lock:
                self.tally.errors.append(f"{kind}: {type(error).__name__}")
            return 0, b""
        with self.tally.lock:
            self.tally.latencies[kind].append(time.perf_counter() - started)
            if status not in (200, 409):
                self.tally.errors.append(f"{kind}: HTTP {status}")
        return status, content

    def work(self, stop_at: float) -> None:
        while time.monotonic() < stop_at:
            self.pause()
            page = self.random.randint(1, 10)
            status, html = self.request(
                "page", "GET", f"/projects/{self.project}/images/?page={page}"
            )
            tiles = (
                [(int(i), int(v)) for i, v in TILE.findall(html.decode())] if status == 200 else []
            )
            for image_id, version in self.random.sample(tiles, min(3, len(tiles))):
                self.pause()
                if time.monotonic() >= stop_at:
                    break
                self.label(image_id, version)

    def label(self, image_id: int, version: int) -> None:
        wanted = None if self.random.random() < 0.1 else self.random.choice(self.classes)
        path = f"/api/projects/{self.project}/labels"
        for _attempt in range(2):
            body = {
                "label_class": wanted,
                "images": [{"id": image_id, "expected_version": version}],
            }
            status, content = self.request("label", "POST", path, body)
            if status not in (200, 409):
                return
            result = json.loads(content)["results"][0]
            if result["ok"]:
                with self.tally.lock:
                    self.tally.acknowledged.append((image_id, wanted, result["label_version"]))
                return
            with self.tally.lock:
                self.tally.conflicts += 1
            version = result["label_version"]  # what the page shows after a conflict


def run_load(port: int, setup: dict[str, Any], users: int, seconds: float, think: float) -> Tally:
    tally = Tally()
    stop_at = time.monotonic() + seconds
    labelers = [Labeler(port, setup["sessions"][n], setup, tally, think) for n in range(users)]
    threads = [threading.Thread(target=labeler.work, args=(stop_at,)) for labeler in labelers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally


# ---- checking and reporting ------------------------------------------------------------------


def verify(tally: Tally, state: dict[str, Any]) -> dict[str, int]:
    """Acknowledged writes against the Label rows the run added and the images' state."""
    written: dict[int, list[int | None]] = {}
    for _pk, image_id, class_id in state["labels"]:
        written.setdefault(image_id, []).append(class_id)
    acknowledged: dict[int, list[tuple[int, int | None]]] = {}
    for image_id, class_id, version in tally.acknowledged:
        acknowledged.setdefault(image_id, []).append((version, class_id))
    lost = duplicated = wrong_current = 0
    for image_id in set(written) | set(acknowledged):
        acks = [class_id for _, class_id in sorted(acknowledged.get(image_id, []))]
        rows = written.get(image_id, [])
        lost += max(0, len(acks) - len(rows))
        duplicated += max(0, len(rows) - len(acks))
        if acks != rows and len(acks) == len(rows):
            lost += 1  # same count, different history
        if acks:
            current, version = state["images"][str(image_id)]
            last_version, last_class = max(acknowledged[image_id])
            wrong_current += int(current != last_class or version != last_version)
    return {
        "acknowledged": len(tally.acknowledged),
        "label_rows": len(state["labels"]),
        "lost": lost,
        "duplicated": duplicated,
        "wrong_current_label": wrong_current,
    }


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def summarize(tally: Tally, seconds: float) -> dict[str, Any]:
    kinds = {}
    for kind, values in tally.latencies.items():
        kinds[kind] = {
            "requests": len(values),
            "per_second": round(len(values) / seconds, 1),
            "p50_ms": round(1000 * percentile(values, 0.50), 1),
            "p95_ms": round(1000 * percentile(values, 0.95), 1),
            "p99_ms": round(1000 * percentile(values, 0.99), 1),
            "mean_ms": round(1000 * statistics.fmean(values), 1) if values else None,
        }
    total = sum(len(v) for v in tally.latencies.values())
    return {"requests_per_second": round(total / seconds, 1), "by_kind": kinds,
            "conflicts": tally.conflicts, "errors": len(tally.errors),
            "error_kinds": sorted(set(tally.errors))[:10]}  # fmt: skip


def print_table(rows: list[dict[str, Any]]) -> None:
    print(
        "\n| setup | users | think s | req/s | kind | n | p50 ms | p95 ms | p99 ms | conflicts "
        "| errors | acked | lost | dup | wrong current |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        for kind, numbers in row["by_kind"].items():
            check = row["check"]
            print(f"| {row['setup']} | {row['users']} | {row.get('think_seconds', 0)} "
                  f"| {row['requests_per_second']} | {kind} "
                  f"| {numbers['requests']} | {numbers['p50_ms']} | {numbers['p95_ms']} "
                  f"| {numbers['p99_ms']} | {row['conflicts']} | {row['errors']} "
                  f"| {check['acknowledged']} | {check['lost']} | {check['duplicated']} "
                  f"| {check['wrong_current_label']} |")  # fmt: skip


def benchmark_setup(
    name: str, users: list[int], arguments: argparse.Namespace
) -> list[dict[str, Any]]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"labelapp-load-{name}-"))
    environment = server_environment(name, data_dir)
    if name == "postgresql":
        fresh_postgres_database()
    port = arguments.port
    server = start_server(environment, port, arguments.workers)
    rows = []
    try:
        setup = in_django(environment, "populate", str(arguments.images), str(max(users)))
        for count in users:
            before = in_django(environment, "state", str(setup["project"]), "0")["max_label_id"]
            started = time.monotonic()
            tally = run_load(port, setup, count, arguments.seconds, arguments.think_seconds)
            elapsed = time.monotonic() - started
            state = in_django(environment, "state", str(setup["project"]), str(before))
            row = {"setup": name, "users": count, "think_seconds": arguments.think_seconds,
                   "seconds": round(elapsed, 1),
                   **summarize(tally, elapsed), "check": verify(tally, state)}  # fmt: skip
            print(json.dumps(row), flush=True)
            rows.append(row)
    finally:
        stop_server(server)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setups", default="postgresql,sqlite")
    parser.add_argument("--users", default="5,20,50")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8917)
    parser.add_argument(
        "--think-seconds", type=float, default=0.0, help="mean pause before each request"
    )
    parser.add_argument("--output", default="load_labeling.json", help="in benchmarks/results")
    arguments = parser.parse_args()
    users = [int(n) for n in arguments.users.split(",")]
    rows = []
    for name in arguments.setups.split(","):
        rows += benchmark_setup(name, users, arguments)
    RESULTS.mkdir(parents=True, exist_ok=True)
    meta = {"cpus": os.cpu_count(), "workers": arguments.workers, "threads_per_worker": 4,
            "images": arguments.images, "seconds": arguments.seconds,
            "think_seconds": arguments.think_seconds}  # fmt: skip
    (RESULTS / arguments.output).write_text(json.dumps({"meta": meta, "runs": rows}, indent=2))
    print_table(rows)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    if len(sys.argv) > 1 and sys.argv[1] == "--django":
        django_main(sys.argv[2], sys.argv[3:])
    else:
        main()
