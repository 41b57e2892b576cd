"""Pretrain a project's SimCLR encoder on every image and keep the representations."""

import shutil
from typing import Any

import numpy as np

from labelapp.jobs.context import JobContext
from labelapp.learning.child_jobs import run_training_command, work_directory
from labelapp.learning.dataset_cache import build_image_cache
from labelapp.learning.embedding import BACKBONE, BACKBONE_RESOLUTION
from labelapp.learning.encoder_comparison import Comparison, compare_encoders
from labelapp.learning.models import ModelKind, ModelVersion
from labelapp.learning.versions import (
    create_version,
    load_representations,
    open_local,
    representations_file,
)
from labelapp.projects.models import EncoderStart, Project
from simclr_core.progress import within

MINIMUM_IMAGES = 16
# Checkpoint about every minute or two: ~50 steps of 256 images on a laptop CPU, ~1,000
# steps of 1,024 images on a current GPU.
CHECKPOINT_EVERY_STEPS = {"cpu": 50, "mps": 200, "cuda": 1000}


def default_image_size(device: str) -> int:
    return 32 if device == "cpu" else 64


def pretrain_project(context: JobContext) -> dict[str, Any]:
    job, device, progress = context.job, context.device, context.progress
    project = job.project
    assert project is not None
    from_imagenet = project.encoder_start == EncoderStart.IMAGENET
    if from_imagenet:  # SimCLR continued from the backbone, at the side it was trained at
        image_size = BACKBONE_RESOLUTION
    else:
        image_size = int(job.params.get("image_size") or default_image_size(device))
    progress(0.0, "Decoding images")
    cache = build_image_cache(project.pk, image_size, progress=within(progress, 0.0, 0.05))
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
        "continue_from": BACKBONE if from_imagenet else None,
        "epochs": job.params.get("epochs"),
        "budget_seconds": job.params.get("budget_seconds"),  # on an accelerator, without epochs
        "checkpoint_every_steps": int(
            job.params.get("checkpoint_every_steps") or CHECKPOINT_EVERY_STEPS[device]
        ),
    }
    done = run_training_command(context, "pretrain", spec, fraction_range=(0.05, 0.98))
    progress(0.98, "Saving the encoder")
    image_ids = np.load(cache.ids_path)
    representations = np.load(work_dir / "representations.npy")
    project.refresh_from_db(fields=["current_encoder"])
    previous = project.current_encoder
    comparison = None
    if previous is not None and previous.representations:
        progress(0.99, "Comparing the new encoder with the current one on your labels")
        comparison = compare_encoders(
            project, load_representations(previous), (image_ids, representations)
        )
    # Keep the current encoder when the new one scores worse on the labels people gave.
    adopt = comparison is None or comparison.after >= comparison.before

    def make_current(version: ModelVersion) -> None:
        if adopt:
            Project.objects.filter(pk=project.pk).update(current_encoder=version)

    config = {"pretrain": done["config"], "image_size": image_size, "device": device}
    if from_imagenet:
        config["source"] = "imagenet+simclr"
    measured = comparison.as_result() if comparison is not None else {}
    version = create_version(
        project,
        ModelKind.ENCODER,
        job.pk,
        config=config,
        metrics={**done["metrics"], **measured, "images": len(image_ids)},
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
        **measured,
        "adopted": adopt,
        "outcome": describe_outcome(comparison, adopt, previous),
        "device_name": done["metrics"].get("device_name", device),
        "images_per_second": round(speed) if speed else None,
    }


def describe_outcome(
    comparison: Comparison | None, adopt: bool, previous: ModelVersion | None
) -> str:
    """One sentence for the job page: what the run changed, measured on the user's labels."""
    if comparison is None:
        if previous is None:
            return "The new encoder is now in use."
        return (
            "The new encoder is now in use; label at least two images in two classes to "
            "measure what a Pretrain run gains."
        )
    change = (
        f"cross-validated accuracy on your {comparison.labels} labels "
        f"{comparison.before:.0%} -> {comparison.after:.0%}"
    )
    if adopt:
        return f"The new encoder is now in use ({change}). Retrain to use it."
    return f"Kept the previous encoder: the new one scored worse ({change})."
