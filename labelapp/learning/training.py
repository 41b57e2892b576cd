"""Train a classifier on the current labels, from the current encoder's representations."""

import io
from typing import Any

import numpy as np
from django.core.files.base import ContentFile

from labelapp.images.label_sources import current_labels
from labelapp.images.models import Image
from labelapp.jobs.context import JobContext
from labelapp.jobs.models import Job
from labelapp.learning.child_jobs import run_training_command, work_directory
from labelapp.learning.dataset_cache import build_image_cache, cache_path
from labelapp.learning.embedding import (
    current_encoder,
    materialize_encoder,
    project_representations,
)
from labelapp.learning.job_options import METHODS
from labelapp.learning.model_export import (
    export_spec,
    prune_exports,
    remove_exports,
    store_exports,
)
from labelapp.learning.models import ModelKind, ModelVersion
from labelapp.learning.versions import create_version
from labelapp.projects.models import LabelClass
from simclr_core.fewlabel.methods import ALL_METHODS, DEFAULT_METHODS


def candidate_methods(requested: str, device: str) -> list[str]:
    """The methods to cross-validate. Fine-tuning trains the network once per fold, so "auto"
    includes it only on an accelerator; on the CPU a user can still ask for it."""
    if requested != "auto":
        return [requested]
    return list(DEFAULT_METHODS if device == "cpu" else ALL_METHODS)


def labeled_by_whom(
    image_ids: np.ndarray, classes: list[LabelClass], project_id: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Positions into ``image_ids`` of labeled images, their class positions, whether a
    person gave each label (the latest history row's source; an image without history counts
    as labeled by a person), and whether it may calibrate the expected accuracy (a person's,
    not picked as one of the model's least sure images: label_sources.CurrentLabel)."""
    position_of_class = {label_class.pk: index for index, label_class in enumerate(classes)}
    position_of_image = {int(image_id): index for index, image_id in enumerate(image_ids)}
    rows = [
        (
            position_of_image[label.image_id],
            position_of_class[label.class_id],
            label.by_person,
            label.calibrates,
        )
        for label in current_labels(Image.objects.filter(project_id=project_id))
        if label.image_id in position_of_image and label.class_id in position_of_class
    ]
    if not rows:
        empty = np.empty(0, np.int64), np.empty(0, np.int64)
        return *empty, np.empty(0, bool), np.empty(0, bool)
    positions, labels, by_person, calibrates = zip(*rows, strict=True)
    return (
        np.array(positions, np.int64),
        np.array(labels, np.int64),
        np.array(by_person, bool),
        np.array(calibrates, bool),
    )


def train_classifier(context: JobContext) -> dict[str, Any]:
    job, device = context.job, context.device
    project = job.project
    assert project is not None
    classes = list(project.classes.order_by("position", "id"))
    if len(classes) < 2:
        raise ValueError("A classifier needs at least two classes; add classes first.")
    image_ids, representations = project_representations(context)
    encoder = current_encoder(project)  # the first one may have been made just now
    positions, labels, scored, calibrating = labeled_by_whom(image_ids, classes, project.pk)
    if len(np.unique(labels)) < 2:
        raise ValueError(
            "Label images of at least two different classes before training "
            f"({len(labels)} labeled so far)."
        )
    work_dir = work_directory(job)
    np.save(work_dir / "train-representations.npy", representations)
    method = job.params.get("method") or "auto"
    if method not in METHODS:
        raise ValueError(f"Unknown training method {method!r}; use one of {', '.join(METHODS)}.")
    methods = candidate_methods(method, device)
    neighbors_cache = cache_path(project.pk) / "neighbors"  # kept between jobs (knn_graph)
    neighbors_cache.mkdir(parents=True, exist_ok=True)
    spec = {
        "representations": str(work_dir / "train-representations.npy"),
        "labeled_indices": positions.tolist(),
        "labels": labels.tolist(),
        "scored": scored.tolist(),
        "calibrating": calibrating.tolist(),
        "num_classes": len(classes),
        "methods": methods,
        "output": str(work_dir / "classifier.npz"),
        "device": device,
        "neighbors_cache": str(neighbors_cache),
        **export_spec(job, encoder),
    }
    if "fine_tune" in methods:
        spec.update(_fine_tune_spec(job, encoder, image_ids))
    done = run_training_command(context, "train", spec, (0.3, 0.95))
    result = np.load(work_dir / "classifier.npz")
    export = store_exports(job, done.get("export") or {})
    try:
        version = create_version(
            project,
            ModelKind.CLASSIFIER,
            job.pk,
            config={"method": done["metrics"]["method"], "classes": [c.pk for c in classes],
                    "class_names": [c.name for c in classes], "requested_method": method,
                    "export": export},
            metrics=done["metrics"],
            files={"weights": ("classifier.npz", _classifier_file(image_ids, result))},
            encoder=encoder,
        )  # fmt: skip
    except BaseException:
        remove_exports(export)
        raise
    prune_exports(version)
    return {"model_version": version.pk, "model_version_number": version.number}


def _fine_tune_spec(job: Job, encoder: ModelVersion, image_ids: np.ndarray) -> dict[str, Any]:
    """The decoded images (rows matched to ``image_ids``) and the encoder, for fine-tuning;
    the job's "fine_tune_steps" (set by the tests, not the forms) overrides the default."""
    assert job.project is not None
    cache = build_image_cache(job.project.pk, int(encoder.config.get("image_size", 32)))
    cache_ids = np.load(cache.ids_path)
    order = np.argsort(cache_ids)
    found = np.searchsorted(cache_ids, image_ids, sorter=order)
    rows = order[np.minimum(found, len(order) - 1)]
    if not np.array_equal(cache_ids[rows], image_ids):
        raise RuntimeError("The decoded image cache does not hold every image; retry the job.")
    rows_path = work_directory(job) / "image-rows.npy"
    np.save(rows_path, rows)
    return {
        "images": str(cache.images_path),
        "image_rows": str(rows_path),
        "encoder_dir": str(materialize_encoder(job, encoder)),
        "fine_tune_steps": job.params.get("fine_tune_steps"),
    }


def _classifier_file(image_ids: np.ndarray, result: Any) -> ContentFile[bytes]:
    """Probabilities of every image and out-of-fold probabilities of labeled ones."""
    buffer = io.BytesIO()
    np.savez(
        buffer,
        image_ids=image_ids,
        probabilities=result["probabilities"],
        out_of_fold=result["out_of_fold"],
        labeled_image_ids=image_ids[result["labeled_indices"]],
        labels=result["labels"],
        # The labels a person gave; the others (accepted predictions) trained but were not scored.
        scored=result.get("scored", np.ones(len(result["labels"]), bool)),
    )
    return ContentFile(buffer.getvalue())


def load_classifier_output(version: ModelVersion) -> dict[str, np.ndarray]:
    with version.weights.open("rb") as stored:
        archive = np.load(io.BytesIO(stored.read()))
        return {key: archive[key] for key in archive.files}
