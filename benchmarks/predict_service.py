"""Latency of POST /api/projects/{id}/predict for one photo, against torch in the same run.

Builds a throwaway test database (``test_<name>`` of DATABASE_URL) with one project on the
default backbone (ImageNet EfficientNet-Lite0 at 224 px), runs its Embed and Retrain jobs
in this process (the real handlers and training child, no broker), and then times, for one
640 x 480 JPEG:

- the endpoint (Django test Client: auth, upload parsing, decoding, cropping, onnxruntime);
- onnxruntime alone on the preprocessed pixels (the web's model call);
- torch in-process on the same pixels, with the TorchScript export and with the eager
  network the app itself computes with: the work a synchronous Celery call to a worker
  would do, before adding the broker's round trip.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/labelapp_bench \\
        .venv/bin/python benchmarks/predict_service.py --requests 100

Each path uses one thread (a web process serves requests side by side). Prints a table
(p50, p95, ratio to the endpoint's p50) and writes benchmarks/results/predict_service.json.
"""

import argparse
import io
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labelapp.settings")
os.environ.setdefault("LABELAPP_DATA_DIR", tempfile.mkdtemp(prefix="labelapp-bench-"))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from PIL import Image as PILImage  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
PER_CLASS = 3


def build_classifier() -> tuple[User, int]:
    """A project of 30 CIFAR-10 photos, one label per class, and its exported classifier."""
    from labelapp.images.models import Image, Label, LabelSource
    from labelapp.jobs.models import Job, JobKind, JobStatus
    from labelapp.projects.class_lines import parse_class_lines
    from labelapp.projects.services import create_project
    from tests.fixtures.cifar import CIFAR_CLASSES, add_image, cifar_sample
    from workers.tasks import run_job

    user = User.objects.create_user("bench")
    project = create_project("Predict", "", parse_class_lines("\n".join(CIFAR_CLASSES)), user)
    classes = {c.name: c for c in project.classes.all()}
    for index, (data, name) in enumerate(cifar_sample("train", PER_CLASS)):
        image = add_image(project, data, f"{name}-{index}.jpg")
        if index % PER_CLASS == 0:
            Label.objects.create(
                image=image, label_class=classes[name], user=user, source=LabelSource.PERSON
            )
            Image.objects.filter(pk=image.pk).update(current_label=classes[name])
    for kind, params in ((JobKind.EMBED, {}), (JobKind.RETRAIN, {"method": "linear_probe"})):
        job = Job.objects.create(kind=kind, project=project, created_by=user, params=params)
        run_job(job.pk)  # in this process: the handler, and the training child it starts
        job.refresh_from_db()
        if job.status != JobStatus.SUCCEEDED:
            raise RuntimeError(f"{kind} failed: {job.error}\n{job.log_tail}")
    return user, project.pk


def photo() -> bytes:
    """A 640 x 480 JPEG (a CIFAR picture enlarged), the size a phone upload is scaled to."""
    from tests.fixtures.cifar import cifar_sample

    data, _ = cifar_sample("test", 1)[0]
    buffer = io.BytesIO()
    with PILImage.open(io.BytesIO(data)) as small:
        small.convert("RGB").resize((640, 480), PILImage.Resampling.BICUBIC).save(
            buffer, "JPEG", quality=90
        )
    return buffer.getvalue()


def time_calls(call: Callable[[], object], requests: int) -> list[float]:
    call()  # warm-up: sessions, caches, connections
    timings = []
    for _ in range(requests):
        start = time.perf_counter()
        call()
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def torch_paths(project_id: int, pixels: object) -> dict[str, Callable[[], object]]:
    """torch on one thread: the TorchScript export, and the eager encoder alone as the
    worker's extraction runs it (channels-last), both from the worker's stored files."""
    import torch

    from labelapp.learning.model_export import export_file, read_export
    from labelapp.projects.models import Project
    from simclr_core.ssl.pretrain import load_pretrained_encoder

    torch.set_num_threads(1)
    version = Project.objects.get(pk=project_id).current_classifier
    assert version is not None and version.encoder is not None
    scripted = torch.jit.load(io.BytesIO(read_export(export_file(version, "torchscript"))))
    folder = Path(tempfile.mkdtemp(prefix="encoder-"))
    (folder / "config.json").write_text(json.dumps(version.encoder.config["pretrain"]))
    with version.encoder.weights.open("rb") as stored:
        (folder / "encoder.pt").write_bytes(stored.read())
    encoder = load_pretrained_encoder(folder).eval().to(memory_format=torch.channels_last)
    batch = torch.from_numpy(pixels)  # type: ignore[call-overload]
    channels_last = batch.contiguous(memory_format=torch.channels_last)

    def run_scripted() -> object:
        with torch.inference_mode():
            return scripted(batch)

    def run_eager() -> object:
        with torch.inference_mode():
            return encoder(channels_last)

    return {"torch TorchScript export (in-process)": run_scripted,
            "torch eager encoder only (worker's way)": run_eager}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["testserver"]
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        started = time.perf_counter()
        user, project_id = build_classifier()
        print(f"embedded, trained and exported in {time.perf_counter() - started:.0f} s")
        results = measure(user, project_id, args.requests)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    report(results, args.requests)


def measure(user: User, project_id: int, requests: int) -> dict[str, list[float]]:
    import numpy as np
    from django.core.files.uploadedfile import SimpleUploadedFile

    from labelapp.images.decoding import square_pixels
    from labelapp.learning import predict_service
    from labelapp.projects.models import Project

    client = Client()
    client.force_login(user)
    data = photo()
    url = f"/api/projects/{project_id}/predict"

    def call_endpoint() -> object:
        response = client.post(url, {"files": [SimpleUploadedFile("photo.jpg", data)]})
        assert response.status_code == 200, response.content
        return response

    started = time.perf_counter()
    call_endpoint()  # the first request loads the ONNX session
    print(
        f"first request (loads the ONNX session): {(time.perf_counter() - started) * 1000:.0f} ms"
    )
    with PILImage.open(io.BytesIO(data)) as picture:
        pixels = np.stack([square_pixels(picture, 224)])
    version = Project.objects.get(pk=project_id).current_classifier
    assert version is not None
    session = predict_service._session(version)
    paths: dict[str, Callable[[], object]] = {
        "endpoint, onnxruntime (web process)": call_endpoint,
        "onnxruntime alone": lambda: session.run(["probabilities"], {"images": pixels}),
        **torch_paths(project_id, pixels),
    }
    return {name: time_calls(call, requests) for name, call in paths.items()}


def report(results: dict[str, list[float]], requests: int) -> None:
    endpoint = statistics.median(results["endpoint, onnxruntime (web process)"])
    print(f"\n{'path (one 640x480 JPEG, 224 px, 1 thread)':44} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p50 / endpoint':>15}")  # fmt: skip
    rows = {}
    for name, timings in results.items():
        p50, p95 = statistics.median(timings), percentile(timings, 0.95)
        rows[name] = {"p50_ms": p50, "p95_ms": p95, "requests": requests}
        print(f"{name:44} {p50:8.1f} {p95:8.1f} {p50 / endpoint:15.2f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "predict_service.json"
    path.write_text(json.dumps({"cpus": os.cpu_count(), "paths": rows}, indent=2))
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
