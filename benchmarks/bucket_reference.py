"""Bucket import, copy against reference: disk used, import time, and the image-cache build.

A moto S3 server on loopback holds N random JPEGs (256 px). Each mode imports them into a
project of its own (the database named by DATABASE_URL; the projects are deleted at the end)
and builds the 64 px image cache the training jobs read, one or eight reads at a time. The
reads of pictures left in the bucket wait ``--latency-ms`` each (a bucket in another
building; the import's own reads are not slowed). The copy mode is the baseline of the same
run.

    .venv/bin/python benchmarks/bucket_reference.py --objects 200 --latency-ms 30
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labelapp.settings")


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server, endpoint
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def fill_bucket(endpoint: str, count: int) -> tuple[str, str]:
    import boto3

    key_id, secret = "AKIDBENCH", "bench-secret-key"
    client = boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id=key_id, aws_secret_access_key=secret,
    )  # fmt: skip
    client.create_bucket(Bucket="photos")
    rng = np.random.default_rng(0)
    for index in range(count):
        buffer = io.BytesIO()
        pixels = rng.integers(0, 255, (256, 256, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(buffer, "JPEG", quality=90)
        client.put_object(Bucket="photos", Key=f"p/{index:05d}.jpg", Body=buffer.getvalue())
    return key_id, secret


def slow_reads(latency_seconds: float) -> None:
    """Every bucket read of the app waits ``latency_seconds`` before it is sent."""
    from labelapp.images import image_bytes

    original = image_bytes.cached_bucket_client

    def slowed(source: Any) -> Any:
        client = original(source)
        if not getattr(client, "_benchmark_delay", False):
            client.meta.events.register(
                "before-send.s3.GetObject", lambda **_: time.sleep(latency_seconds)
            )
            client._benchmark_delay = True
        return client

    image_bytes.cached_bucket_client = slowed  # type: ignore[assignment]


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--objects", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=30.0)
    arguments = parser.parse_args()

    import django
    from django.conf import settings

    django.setup()
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.MEDIA_ROOT = tempfile.mkdtemp()
    settings.DATA_DIR = Path(tempfile.mkdtemp())

    from django.contrib.auth.models import User

    from labelapp.images.importing import import_staged_batch
    from labelapp.images.remote_import import BucketSpec, receive_bucket_import
    from labelapp.learning import dataset_cache
    from labelapp.projects.models import Project

    server, endpoint = start_moto()
    rows = []
    try:
        key_id, secret = fill_bucket(endpoint, arguments.objects)
        slow_reads(arguments.latency_ms / 1000)
        user, _ = User.objects.get_or_create(username="bucket-benchmark")
        for mode, threads in (("copy", 8), ("reference", 1), ("reference", 8)):
            dataset_cache.READ_THREADS = threads
            media = Path(settings.MEDIA_ROOT)
            before = folder_bytes(media)
            project = Project.objects.create(name=f"bench {mode} {threads}", created_by=user)
            spec = BucketSpec(
                bucket="photos", prefix="p/", endpoint_url=endpoint, access_key_id=key_id,
                secret_access_key=secret, mode=mode,
            )  # fmt: skip
            batch = receive_bucket_import(project, user, spec)
            started = time.perf_counter()
            import_staged_batch(batch)
            imported = time.perf_counter() - started
            started = time.perf_counter()
            dataset_cache.build_image_cache(project.pk, 64)
            cached = time.perf_counter() - started
            rows.append((mode, threads, project.images.count(), imported, cached,
                         (folder_bytes(media) - before) / 2**20))  # fmt: skip
            print(rows[-1], flush=True)
            project.delete()
    finally:
        server.terminate()
    print(f"\n{arguments.objects} JPEGs of 256 px, {arguments.latency_ms:.0f} ms per bucket read")
    print("| mode | reads at a time | images | import (s) | 64 px cache build (s) | disk (MB) |")
    print("|---|---|---|---|---|---|")
    for mode, threads, images, imported, cached, disk in rows:
        print(f"| {mode} | {threads} | {images} | {imported:.1f} | {cached:.1f} | {disk:.1f} |")


if __name__ == "__main__":
    main()
