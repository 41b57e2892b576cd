"""Representations h of every current image of a project, from its current encoder.

A project that starts from ImageNet gets its first encoder here, without any training: the
pretrained backbone itself, stored as encoder version 1 with the representations it gives,
so that the label-next queue and the first classifier need no Pretrain run.
"""

import json
from pathlib import Path
from typing import Any

import numpy as np
from django.db import transaction

from labelapp.jobs.context import JobContext
from labelapp.jobs.models import Job, JobKind, JobStatus
from labelapp.jobs.services import enqueue_job
from labelapp.learning.child_jobs import run_training_command, work_directory
from labelapp.learning.dataset_cache import build_image_cache
from labelapp.learning.models import ModelKind, ModelVersion
from labelapp.learning.versions import (
    create_version,
    load_representations,
    open_local,
    representations_file,
)
from labelapp.projects.models import EncoderStart, Project
from simclr_core.progress import within

Representations = tuple[np.ndarray, np.ndarray]  # image ids (N,), h (N, dim)
# The default backbone and the side it was trained at (simclr_core.ssl.encoder.native_resolution;
# not imported here, so that the web process never loads torch). The larger Lite1 (240 px) and
# Lite2 (260 px), whose weights ship the same way, did no better on the sign-language photos
# (the app's queue and Train's choice, 5 seeds, 2 / 5 / 20 labels per class: Lite0 66.9 / 75.9
# / 91.6%, Lite1 60.8 / 75.2 / 89.4%, Lite2 60.8 / 71.6 / 90.3%; benchmarks/real_photos.py
# --backbones ...) at twice the extraction time (one thread: 25 images/s against 13 and 12).
# On 3,000 Fashion-MNIST photos Lite1 led (76.4 / 79.6 / 85.3% against 74.0 / 77.8 / 85.1%),
# Lite2 did not (72.4 / 77.4 / 84.9%).
BACKBONE = "efficientnet_lite0"
BACKBONE_RESOLUTION = 224


class NoEncoder(ValueError):
    def __init__(self) -> None:
        super().__init__(
            "This project starts from random weights and has no encoder yet: run Pretrain first."
        )


def current_encoder(project: Project) -> ModelVersion:
    if project.current_encoder is None:
        raise NoEncoder()
    return project.current_encoder


def schedule_embedding(project: Project, user: Any = None) -> Job | None:
    """Queue an Embed job after new images arrived, unless one is already waiting (it will
    embed these too). Projects that start from random weights wait for Pretrain instead."""
    if project.current_encoder_id is None and project.encoder_start != EncoderStart.IMAGENET:
        return None
    with transaction.atomic():
        Project.objects.select_for_update().get(pk=project.pk)
        waiting = Job.objects.filter(project=project, kind=JobKind.EMBED, status=JobStatus.QUEUED)
        if waiting.exists():
            return None
        return enqueue_job(JobKind.EMBED, project, user, reason="new images")


def stored_image_ids(encoder: ModelVersion | None) -> np.ndarray:
    """The images an encoder's stored representations cover (none without an encoder)."""
    if encoder is None or not encoder.representations:
        return np.zeros(0, dtype=np.int64)
    with encoder.representations.open("rb") as stored, np.load(stored) as archive:
        return np.asarray(archive["image_ids"])  # the ids alone: not the vectors


def project_representations(context: JobContext) -> Representations:
    """h for every image in the project, embedding only the images added since the encoder's
    representations were stored (the decoded cache holds the others already)."""
    job = context.job
    project = job.project
    assert project is not None
    project.refresh_from_db(fields=["current_encoder"])
    if project.current_encoder is None and project.encoder_start == EncoderStart.IMAGENET:
        return embed_with_backbone(context)
    encoder = current_encoder(project)
    image_ids, representations = load_representations(encoder)
    wanted = np.array(sorted(project.images.values_list("id", flat=True)), dtype=np.int64)
    keep = np.isin(image_ids, wanted)
    image_ids, representations = image_ids[keep], representations[keep]
    new = ~np.isin(wanted, image_ids)
    if new.any():
        context.progress(None, f"Computing representations of {int(new.sum()):,} new images")
        image_size = int(encoder.config.get("image_size", 32))
        cache = build_image_cache(project.pk, image_size)
        cache_ids = np.load(cache.ids_path)
        rows = np.flatnonzero(np.isin(cache_ids, wanted[new]))
        output = work_directory(job) / "representations.npy"
        spec = {
            "images": str(cache.images_path),
            "rows": rows.tolist(),
            "encoder_dir": str(materialize_encoder(job, encoder)),
            "representations": str(output),
            "device": context.device,
        }
        done = run_training_command(context, "embed", spec, (0.05, 0.9))
        context.log(f"embedded {done.get('metrics', {}).get('images')} new images")
        image_ids = np.concatenate([image_ids, cache_ids[rows]])
        representations = np.concatenate([representations, np.load(output)])
    order = np.argsort(image_ids, kind="stable")
    image_ids, representations = image_ids[order], representations[order]
    if new.any():
        replace_representations(encoder, image_ids, representations)
    return image_ids, representations


def embed_with_backbone(context: JobContext) -> Representations:
    """The project's first encoder: the ImageNet-pretrained backbone, and h of every image."""
    job, progress = context.job, context.progress
    project = job.project
    assert project is not None
    progress(0.0, "Decoding images")
    cache = build_image_cache(project.pk, BACKBONE_RESOLUTION, progress=within(progress, 0.0, 0.3))
    if cache.count == 0:
        raise ValueError("This project has no images yet: upload some first.")
    work_dir = work_directory(job)
    config = backbone_config()
    spec = {
        "images": str(cache.images_path),
        "config": config,
        "weights_out": str(work_dir / "encoder.pt"),
        "representations": str(work_dir / "representations.npy"),
        "device": context.device,
    }
    run_training_command(context, "embed", spec, (0.3, 0.95))
    image_ids, representations = np.load(cache.ids_path), np.load(work_dir / "representations.npy")

    def make_current(version: ModelVersion) -> None:
        # Two Embed jobs may race here: the first one's encoder stays current.
        Project.objects.filter(pk=project.pk, current_encoder__isnull=True).update(
            current_encoder=version
        )

    create_version(
        project,
        ModelKind.ENCODER,
        job.pk,
        config={"pretrain": config, "image_size": BACKBONE_RESOLUTION, "source": "imagenet"},
        metrics={"images": len(image_ids), "source": f"ImageNet-pretrained {BACKBONE}"},
        files={
            "weights": ("encoder.pt", open_local(work_dir / "encoder.pt")),
            "representations": (
                "representations.npz",
                representations_file(image_ids, representations),
            ),
        },
        after_create=make_current,
    )
    project.refresh_from_db(fields=["current_encoder"])
    return image_ids, representations


def backbone_config() -> dict[str, Any]:
    """A PretrainConfig, as JSON, whose encoder is the ImageNet-pretrained backbone.

    Written out rather than built with simclr_core (which imports torch); the child process
    reads it with ``config_from_dict(PretrainConfig, ...)``, which rejects unknown fields."""
    return {
        "encoder": {
            "architecture": BACKBONE,
            "small_image_stem": False,
            "normalization_mean": [127 / 255] * 3,
            "normalization_std": [128 / 255] * 3,
            "pretrained": True,
            "flip_average": True,
        },
        "epochs": 0,
    }


def materialize_encoder(job: Job, encoder: ModelVersion) -> Path:
    """The layout simclr_core.ssl.pretrain.load_pretrained_encoder reads: config + weights."""
    directory = work_directory(job) / f"encoder-{encoder.pk}"
    directory.mkdir(exist_ok=True)
    (directory / "config.json").write_text(json.dumps(encoder.config["pretrain"]))
    with encoder.weights.open("rb") as stored:
        (directory / "encoder.pt").write_bytes(stored.read())
    return directory


def replace_representations(
    encoder: ModelVersion, image_ids: np.ndarray, representations: np.ndarray
) -> None:
    old_name = encoder.representations.name
    encoder.representations.save(
        "representations.npz", representations_file(image_ids, representations), save=False
    )
    with transaction.atomic():
        ModelVersion.objects.filter(pk=encoder.pk).update(
            representations=encoder.representations.name
        )
    if old_name and old_name != encoder.representations.name:
        encoder.representations.storage.delete(old_name)
