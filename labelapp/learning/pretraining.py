"""Pretrain a project's SimCLR encoder on every image and keep the representations."""

import shutil
from collections.abc import Callable
from typing import Any

import numpy as np

from labelapp.jobs.models import Job
from labelapp.learning.child_jobs import Progress, run_training_command, work_directory
from labelapp.learning.dataset_cache import build_image_cache
from labelapp.learning.models import ModelKind, ModelVersion
from labelapp.learning.versions import create_version, open_local, representations_file
from labelapp.projects.models import Project

MINIMUM_IMAGES = 16
# Checkpoint about every minute or two: ~50 steps of 256 images on a laptop CPU, ~1,000
# steps of 1,024 images on a current GPU.
CHECKPOINT_EVERY_STEPS = {"cpu": 50, "mps": 200, "cuda": 1000}


def default_image_size(device: str) -> int:
    return 32 if device == "cpu" else 64


def pretrain_project(
    job: Job,
    device: str,
    progress: Progress,
    should_cancel: Callable[[], bool],
    log: Callable[[str], None],
) -> dict[str, Any]:
    project = job.project
    assert project is not None
    image_size = int(job.params.get("image_size") or default_image_size(device))
    progress(0.0, "Decoding images")
    cache = build_image_cache(
        project.pk, image_size, progress=lambda f: progress(0.05 * f, "Decoding images")
    )
    if cache.count < MINIMUM_IMAGES:
        raise ValueError(
            f"Pretraining needs at least {MINIMUM_IMAGES} images; this project has {cache.count}."
        )
    work_dir = work_directory(job)
    spec = {
        "images": str(cache.images_path),
        "work_dir": str(work_dir / "pretrain"),
        "representations": str(work_dir / "representations.npy"),
        "device": device,
        "image_size": image_size,
        "epochs": job.params.get("epochs"),
        "budget_seconds": job.params.get("budget_seconds"),  # on an accelerator, without epochs
        "checkpoint_every_steps": int(
            job.params.get("checkpoint_every_steps") or CHECKPOINT_EVERY_STEPS[device]
        ),
    }
    done = run_training_command(
        job, "pretrain", spec, progress, should_cancel, log, fraction_range=(0.05, 0.98)
    )
    progress(0.98, "Saving the encoder")
    image_ids = np.load(cache.ids_path)
    representations = np.load(work_dir / "representations.npy")

    def make_current(version: ModelVersion) -> None:
        Project.objects.filter(pk=project.pk).update(current_encoder=version)

    config = {"pretrain": done["config"], "image_size": image_size, "device": device}
    version = create_version(
        project,
        ModelKind.ENCODER,
        job.pk,
        config=config,
        metrics={**done["metrics"], "images": len(image_ids)},
        files={
            "weights": ("encoder.pt", open_local(work_dir / "pretrain" / "encoder.pt")),
            "representations": (
                "representations.npz",
                representations_file(image_ids, representations),
            ),
        },
        after_create=make_current,
    )
    shutil.rmtree(work_dir, ignore_errors=True)
    speed = done["metrics"].get("steady_images_per_second")
    return {
        "model_version": version.pk,
        "model_version_number": version.number,
        "device_name": done["metrics"].get("device_name", device),
        "images_per_second": round(speed) if speed else None,
    }
