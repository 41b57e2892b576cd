"""Write every image's prediction for a classifier version, all or nothing.

Rows are written in chunks (no long transaction), and the project switches to the new
version only after the last chunk; a failure deletes the new rows, so the pages keep
showing the previous version's predictions, never a mix.
"""

from typing import Any

import numpy as np

from labelapp.jobs.models import Job
from labelapp.learning.models import ModelKind, ModelVersion, Prediction
from labelapp.learning.training import load_classifier_output
from labelapp.projects.models import Project
from simclr_core.progress import Progress

CHUNK = 2000


def uncertainty_scores(probabilities: np.ndarray) -> dict[str, np.ndarray]:
    """Confidence (top-1), margin (top-1 minus top-2) and entropy of each row."""
    ordered = np.sort(probabilities, axis=1)[:, ::-1]
    second = ordered[:, 1] if probabilities.shape[1] > 1 else np.zeros(len(probabilities))
    safe = np.clip(probabilities, 1e-12, 1.0)
    return {
        "confidence": ordered[:, 0],
        "margin": ordered[:, 0] - second,
        "entropy": -(probabilities * np.log(safe)).sum(axis=1),
    }


def classifier_to_predict(job: Job) -> ModelVersion:
    project = job.project
    assert project is not None
    versions = ModelVersion.objects.filter(project=project, kind=ModelKind.CLASSIFIER)
    if job.params.get("model_version"):
        return versions.get(pk=job.params["model_version"])
    latest = versions.order_by("-number").first()
    if latest is None:
        raise ValueError("There is no trained classifier yet: train one first.")
    return latest


def predict_project(
    job: Job, progress: Progress, version: ModelVersion | None = None
) -> dict[str, Any]:
    project = job.project
    assert project is not None
    version = version or classifier_to_predict(job)
    output = load_classifier_output(version)
    current_ids = set(project.images.values_list("id", flat=True))
    keep = np.array([int(i) in current_ids for i in output["image_ids"]], dtype=bool)
    image_ids, probabilities = output["image_ids"][keep], output["probabilities"][keep]
    class_ids = [int(c) for c in version.config["classes"]]
    Prediction.objects.filter(model_version=version).delete()  # a retried job starts clean
    try:
        for start in range(0, len(image_ids), CHUNK):
            end = start + CHUNK
            write_predictions(version, image_ids[start:end], probabilities[start:end], class_ids)
            done = min(end, len(image_ids))
            progress(
                done / max(1, len(image_ids)), f"Stored {done} of {len(image_ids)} predictions"
            )
        Project.objects.filter(pk=project.pk).update(current_classifier=version)
    except BaseException:
        Prediction.objects.filter(model_version=version).delete()
        raise
    return {
        "model_version": version.pk,
        "model_version_number": version.number,
        "predictions": len(image_ids),
    }


def write_predictions(
    version: ModelVersion, image_ids: np.ndarray, probabilities: np.ndarray, class_ids: list[int]
) -> None:
    """Store one Prediction per image (probabilities by class id, confidence, margin and
    entropy) for ``version``; the app's classifier and imported predictions both use it."""
    scores = uncertainty_scores(probabilities)
    winners = probabilities.argmax(axis=1)
    Prediction.objects.bulk_create(
        Prediction(
            image_id=int(image_id),
            model_version=version,
            probabilities={str(c): round(float(p), 5) for c, p in zip(class_ids, row, strict=True)},
            predicted_class_id=class_ids[int(winner)],
            confidence=float(scores["confidence"][row_index]),
            margin=float(scores["margin"][row_index]),
            entropy=float(scores["entropy"][row_index]),
        )
        for row_index, (image_id, row, winner) in enumerate(
            zip(image_ids, probabilities, winners, strict=True)
        )
    )
