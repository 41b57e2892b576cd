"""Handlers of the learning jobs: each runs a learning service with the job's context."""

from typing import Any

import numpy as np
from django.db import transaction

from labelapp.images.labeling import unpredicted_count
from labelapp.insights.duplicates import store_duplicate_pairs
from labelapp.jobs.context import JobContext
from labelapp.jobs.models import Job, JobKind, JobStatus
from labelapp.jobs.services import enqueue_job
from labelapp.learning.embedding import project_representations, stored_image_ids
from labelapp.learning.label_queue import refresh_queue
from labelapp.learning.models import ModelVersion
from labelapp.learning.predicting import predict_project
from labelapp.learning.pretraining import pretrain_project
from labelapp.learning.training import train_classifier
from labelapp.projects.models import Project
from simclr_core.progress import ignore_progress


def run_pretrain(context: JobContext) -> dict[str, Any]:
    result = pretrain_project(context)
    _refresh_queue(context)
    return result


def run_embed(context: JobContext) -> dict[str, Any]:
    """Representations of every image (the first time, from the pretrained backbone), then
    the label-next queue from them: typical, diverse images before any training; and, for
    images added after the current classifier, a Train and predict job (see
    :func:`predict_new_images`)."""
    project = context.job.project
    assert project is not None
    known = stored_image_ids(project.current_encoder)
    image_ids, _ = project_representations(context)
    queued = _refresh_queue(context)
    retrain = predict_new_images(context.job)
    new = int((~np.isin(image_ids, known)).sum())
    outcome = f"Representations of {new:,}{' new' if len(known) else ''} image{'s' * (new != 1)}"
    if retrain is not None:
        outcome += f"; Train and predict (job #{retrain}) gives them predictions"
    return {"images": len(image_ids), "queued": queued, "retrain_job": retrain, "outcome": outcome}


def predict_new_images(job: Job) -> int | None:
    """Queue a Train and predict job, with the method of the current classifier, when some
    images have no prediction from it (they came after it was trained; its predictions were
    made beside its training, so only a new one predicts them), and return its id.

    None without a classifier, when the encoder changed since (the dashboard asks for a
    retrain), or when a training job is already waiting (it will predict them)."""
    project = job.project
    assert project is not None
    project.refresh_from_db()
    classifier = project.current_classifier
    if classifier is None or classifier.encoder_id != project.current_encoder_id:
        return None
    unpredicted = unpredicted_count(project, classifier)
    if unpredicted == 0:
        return None
    method = (classifier.config or {}).get("requested_method") or "auto"
    newest = project.images.order_by("-created_at").values_list("created_at", flat=True).first()
    with transaction.atomic():
        Project.objects.select_for_update().get(pk=project.pk)
        training = Job.objects.filter(project=project, kind__in=(JobKind.TRAIN, JobKind.RETRAIN))
        # one waiting, or running since the images came (it embeds and predicts them too)
        waiting = training.filter(status=JobStatus.QUEUED)
        running = training.filter(status=JobStatus.RUNNING, started_at__gte=newest)
        if waiting.exists() or running.exists():
            return None
        reason = f"{unpredicted:,} new image{'s' if unpredicted != 1 else ''} to predict"
        params = {"reason": reason, **({"method": method} if method != "auto" else {})}
        return enqueue_job(JobKind.RETRAIN, project, job.created_by, **params).pk


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
