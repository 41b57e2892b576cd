"""Handlers of the learning jobs: each runs a learning service with the job's context."""

from typing import Any

from labelapp.insights.duplicates import store_duplicate_pairs
from labelapp.jobs.context import JobContext
from labelapp.learning.embedding import project_representations
from labelapp.learning.label_queue import refresh_queue
from labelapp.learning.models import ModelVersion
from labelapp.learning.predicting import predict_project
from labelapp.learning.pretraining import pretrain_project
from labelapp.learning.training import train_classifier
from simclr_core.progress import ignore_progress


def run_pretrain(context: JobContext) -> dict[str, Any]:
    result = pretrain_project(context)
    _refresh_queue(context)
    return result


def run_embed(context: JobContext) -> dict[str, Any]:
    """Representations of every image (the first time, from the pretrained backbone), then
    the label-next queue from them: typical, diverse images before any training."""
    image_ids, _ = project_representations(context)
    queued = _refresh_queue(context)
    return {"images": len(image_ids), "queued": queued}


def run_train(context: JobContext) -> dict[str, Any]:
    return train_classifier(context)


def run_predict(context: JobContext) -> dict[str, Any]:
    result = predict_project(context.job, context.progress)
    _refresh_queue(context)
    return result


def run_retrain(context: JobContext) -> dict[str, Any]:
    """Train, predict every image, and refresh the label-next queue: one click."""
    trained = train_classifier(context)
    context.progress(0.95, "Storing predictions")
    version = ModelVersion.objects.get(pk=trained["model_version"])
    predicted = predict_project(context.job, ignore_progress, version=version)
    queued = _refresh_queue(context)
    return {**trained, "predictions": predicted["predictions"], "queued": queued}


def _refresh_queue(context: JobContext) -> int:
    project = context.job.project
    assert project is not None
    project.refresh_from_db()
    if project.current_encoder is None:  # random start: nothing to pick from before Pretrain
        return 0
    context.progress(None, "Picking the images to label next")
    image_ids, representations = project_representations(context)
    queued = refresh_queue(project, image_ids, representations)
    _find_duplicates(context, project.current_encoder)
    return queued


def _find_duplicates(context: JobContext, encoder: ModelVersion) -> None:
    """Store the near-duplicate pairs of the encoder's current representations, once per set
    of images (later calls find them stored), so that page works at any size."""
    context.progress(None, "Finding near duplicates")
    store_duplicate_pairs(encoder)
