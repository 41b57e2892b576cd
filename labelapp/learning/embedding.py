"""Representations h of every current image of a project, from its current encoder."""

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
from django.db import transaction

from labelapp.jobs.models import Job
from labelapp.learning.child_jobs import Progress, run_training_command, work_directory
from labelapp.learning.dataset_cache import build_image_cache
from labelapp.learning.models import ModelVersion
from labelapp.learning.versions import load_representations, representations_file
from labelapp.projects.models import Project

Representations = tuple[np.ndarray, np.ndarray]  # image ids (N,), h (N, dim)


class NoEncoder(ValueError):
    def __init__(self) -> None:
        super().__init__("This project has no pretrained encoder yet: run pretraining first.")


def current_encoder(project: Project) -> ModelVersion:
    if project.current_encoder is None:
        raise NoEncoder()
    return project.current_encoder


def project_representations(
    job: Job,
    device: str,
    progress: Progress,
    should_cancel: Callable[[], bool],
    log: Callable[[str], None],
) -> Representations:
    """h for every image in the project, embedding images added since pretraining."""
    project = job.project
    assert project is not None
    encoder = current_encoder(project)
    image_ids, representations = load_representations(encoder)
    wanted = np.array(sorted(project.images.values_list("id", flat=True)), dtype=np.int64)
    if np.isin(wanted, image_ids).all():
        keep = np.isin(image_ids, wanted)
        order = np.argsort(image_ids[keep])
        return image_ids[keep][order], representations[keep][order]
    progress(None, "Computing representations of new images")
    image_size = int(encoder.config.get("image_size", 32))
    cache = build_image_cache(project.pk, image_size)
    encoder_dir = materialize_encoder(job, encoder)
    output = work_directory(job) / "representations.npy"
    spec = {
        "images": str(cache.images_path),
        "encoder_dir": str(encoder_dir),
        "representations": str(output),
        "device": device,
    }
    run_training_command(job, "embed", spec, progress, should_cancel, log, (0.0, 0.3))
    image_ids, representations = np.load(cache.ids_path), np.load(output)
    replace_representations(encoder, image_ids, representations)
    return image_ids, representations


def materialize_encoder(job: Job, encoder: ModelVersion) -> Path:
    """The layout simclr_core.pretrain.load_pretrained_encoder reads: config + weights."""
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
