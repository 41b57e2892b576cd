"""The app's learning chain through a real Celery worker in the embedded mode (SQLite, the
file-system broker, all state in a fresh data folder), as benchmarks/gpu_check.sh runs it:

1. migrate; start ``labelapp worker`` (queues default and gpu) as a separate process;
2. upload a zip of CIFAR-10 train images (``--images``, 10 classes) -> the import job;
3. label ``--labels-per-class`` images of each class, as a person would;
4. pretrain from random weights (the worker's preset for its device, fitted to
   ``--pretrain-seconds`` on an accelerator), train ("auto": on a GPU fine-tuning is among
   the candidates), predict;
5. write every job row's final state to gpu_app_chain.json; exit 1 unless all succeeded.

    python3 benchmarks/gpu_app_chain.py --images 2000 --timeout 240
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parent.parent
PRODUCTION_VARIABLES = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "MEDIA_ROOT")


def embedded_environment(data_dir: Path) -> dict[str, str]:
    """This environment without the production settings: SQLite and the file-system broker."""
    env = {key: value for key, value in os.environ.items() if key not in PRODUCTION_VARIABLES}
    env.update(LABELAPP_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="labelapp.settings")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPOSITORY), env.get("PYTHONPATH")]))
    return env


def cifar_zip(archive: Path, count: int) -> tuple[bytes, list[str]]:
    """A zip of the first count/10 train JPEGs of each class, named ``<class>-<n>.jpg``."""
    per_class = max(1, count // 10)
    taken: dict[str, int] = {}
    names: list[str] = []
    buffer = io.BytesIO()
    with tarfile.open(archive, "r:gz") as tar, zipfile.ZipFile(buffer, "w") as output:
        for member in tar:
            parts = member.name.split("/")
            if len(parts) != 3 or parts[0] != "train" or not member.isfile():
                continue
            if taken.get(parts[1], 0) >= per_class:
                continue
            extracted = tar.extractfile(member)
            assert extracted is not None
            name = f"{parts[1]}-{taken.get(parts[1], 0)}.jpg"
            output.writestr(name, extracted.read())
            names.append(name)
            taken[parts[1]] = taken.get(parts[1], 0) + 1
            if len(taken) == 10 and all(value >= per_class for value in taken.values()):
                break
    return buffer.getvalue(), names


def wait_for_job(job_id: int, deadline: float) -> dict[str, Any]:
    from labelapp.jobs.models import FINISHED_STATUSES, Job

    while True:
        job = Job.objects.get(pk=job_id)
        if job.status in FINISHED_STATUSES or time.monotonic() > deadline:
            return {
                "id": job.pk,
                "kind": job.kind,
                "status": job.status,
                "seconds": (
                    (job.finished_at - job.started_at).total_seconds()
                    if job.finished_at and job.started_at
                    else None
                ),
                "device": job.device,
                "worker": job.worker,
                "message": job.message,
                "metrics": job.metrics,
                "result": job.result,
                "error": job.error or ("" if job.status in FINISHED_STATUSES else "timed out"),
                "log_tail": job.log_tail[-1500:],
            }
        time.sleep(1)


def prediction_quality(job: dict[str, Any]) -> dict[str, Any]:
    """The classifier's method and cross-validated accuracy, and how many predictions name
    the image's true CIFAR-10 class (the file name says it)."""
    from labelapp.learning.models import ModelVersion, Prediction

    version = ModelVersion.objects.get(pk=job["result"]["model_version"])
    pairs = Prediction.objects.filter(model_version=version).values_list(
        "image__original_name", "predicted_class__name"
    )
    right = sum(name.rsplit("/", 1)[-1].split("-")[0] == predicted for name, predicted in pairs)
    return {
        "method": version.metrics.get("method"),
        "cross_validated_accuracy": version.metrics.get("cross_validated_accuracy"),
        "accuracy_on_all_images": right / max(1, len(pairs)),
    }


def label_some(project: Any, owner: Any, per_class: int) -> int:
    from labelapp.images.labeling import set_label
    from labelapp.images.models import Image
    from labelapp.projects.models import LabelClass

    classes = {label_class.name: label_class for label_class in LabelClass.objects.filter(
        project=project
    )}  # fmt: skip
    counts: dict[str, int] = {}
    for image in Image.objects.filter(project=project).order_by("id"):
        name = image.original_name.rsplit("/", 1)[-1].split("-")[0]
        if counts.get(name, 0) < per_class and name in classes:
            set_label(image, classes[name], owner, expected_version=image.label_version)
            counts[name] = counts.get(name, 0) + 1
    return sum(counts.values())


def run_chain(arguments: argparse.Namespace, data_dir: Path, report: dict[str, Any]) -> None:
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command

    from benchmarks.datasets import CIFAR10_ARCHIVE
    from labelapp.images.uploads import receive_upload
    from labelapp.jobs import services
    from labelapp.projects.models import LabelClass, Project

    deadline = time.monotonic() + arguments.timeout
    call_command("migrate", interactive=False, verbosity=0)
    worker = start_worker(data_dir)
    report["worker_log"] = str(data_dir / "worker.log")
    try:
        owner = User.objects.create_user("gpu-check", password=None)
        project = Project.objects.create(name="GPU check CIFAR-10", created_by=owner)
        if hasattr(project, "encoder_start"):  # SimCLR from scratch: the ResNet GPU preset
            Project.objects.filter(pk=project.pk).update(encoder_start=arguments.encoder_start)
        archive = CIFAR10_ARCHIVE.parent / arguments.archive
        data, names = cifar_zip(archive, arguments.images)
        for position, name in enumerate(sorted({n.split("-")[0] for n in names})):
            LabelClass.objects.create(project=project, name=name, position=position)
        upload = SimpleUploadedFile("cifar10.zip", data, content_type="application/zip")
        batch = receive_upload(project, owner, [upload])
        assert batch.job is not None
        report["jobs"].append(wait_for_job(batch.job.pk, deadline))
        report["labels"] = label_some(project, owner, arguments.labels_per_class)
        pretrain_params: dict[str, Any] = {"budget_seconds": arguments.pretrain_seconds}
        if arguments.epochs:
            pretrain_params = {"epochs": arguments.epochs}
        for kind, params in (("pretrain", pretrain_params), ("train", {}), ("predict", {})):
            if report["jobs"][-1]["status"] != "succeeded":
                break
            job = services.enqueue_job(kind, project, owner, **params)
            report["jobs"].append(wait_for_job(job.pk, deadline))
            print(f"{kind}: {report['jobs'][-1]['status']}", flush=True)
        if report["jobs"][-1]["kind"] == "predict":
            report["jobs"][-1]["result"].update(prediction_quality(report["jobs"][-1]))
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()


def start_worker(data_dir: Path) -> subprocess.Popen[bytes]:
    log = (data_dir / "worker.log").open("wb")
    command = [sys.executable, "-m", "labelapp.cli", "worker", "--queues", "default,gpu"]
    return subprocess.Popen(
        command, cwd=REPOSITORY, env=embedded_environment(data_dir), stdout=log, stderr=log
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--labels-per-class", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=0, help="0: fit --pretrain-seconds")
    parser.add_argument(
        "--pretrain-seconds", type=float, default=45.0, help="the pretrain job's time budget"
    )
    parser.add_argument("--timeout", type=float, default=240.0, help="for the whole chain")
    parser.add_argument(
        "--encoder-start", default="random", help="random: SimCLR from scratch; imagenet"
    )
    parser.add_argument(
        "--archive",
        default="cifar10-jpeg.tar.gz",
        help="a train/<class>/*.jpg archive beside CIFAR-10 (sign-digits-jpeg.tar.gz: photos)",
    )
    parser.add_argument("--output", type=Path)
    arguments = parser.parse_args()
    output = arguments.output or Path(
        os.environ.get("OUT") or REPOSITORY / "benchmarks" / "results"
    )
    data_dir = Path(tempfile.mkdtemp(prefix="labelapp-gpu-check-"))
    for name in PRODUCTION_VARIABLES:  # the embedded default: SQLite, file-system broker
        os.environ.pop(name, None)
    os.environ.update(embedded_environment(data_dir))
    sys.path.insert(0, str(REPOSITORY))
    report: dict[str, Any] = {"data_dir": str(data_dir), "jobs": []}
    started = time.monotonic()
    try:
        run_chain(arguments, data_dir, report)
    except Exception as error:
        report["error"] = f"{type(error).__name__}: {error}"
        raise
    finally:
        report["seconds"] = time.monotonic() - started
        states = [f"{job['kind']} {job['status']}" for job in report["jobs"]]
        failed = report.get("error") or any(j["status"] != "succeeded" for j in report["jobs"])
        complete = len(report["jobs"]) == 4
        report["summary"] = ("FAILED: " if failed or not complete else "ok: ") + ", ".join(
            states or [str(report.get("error"))]
        )
        output.mkdir(parents=True, exist_ok=True)
        (output / "gpu_app_chain.json").write_text(json.dumps(report, indent=2, default=str))
        print(json.dumps(report, indent=2, default=str)[-4000:], flush=True)
        worker_log = data_dir / "worker.log"
        if failed and worker_log.exists():
            print("worker log (tail):\n" + worker_log.read_text(errors="replace")[-3000:])
    if report["summary"].startswith("ok"):
        shutil.rmtree(data_dir, ignore_errors=True)
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
