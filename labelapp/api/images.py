"""Images: upload, list with the labeling page's filters, one image, predictions, queue."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import File, Form, Query, Router, Status, UploadedFile
from ninja.errors import HttpError

from labelapp.api.access import api_role, project_access
from labelapp.api.schemas import ImageDetailOut, Page, UploadOut, paged
from labelapp.ids import DatabaseId
from labelapp.images.models import Image, UploadBatch
from labelapp.images.uploads import UploadRejected, receive_upload
from labelapp.learning.models import Prediction, QueueItem
from labelapp.projects.image_filters import FilterError, filter_images, parse_filter

router = Router(tags=["images"])


def _image_out(image: Image) -> dict[str, Any]:
    return {
        "id": image.pk,
        "original_name": image.original_name,
        "width": image.width,
        "height": image.height,
        "format": image.format,
        "label_class": image.current_label_id,
        "label_version": image.label_version,
        "created_at": image.created_at,
    }


def _prediction_out(prediction: Prediction) -> dict[str, Any]:
    return {
        "image": prediction.image_id,
        "model_version": prediction.model_version_id,
        "model_version_number": prediction.model_version.number,
        "predicted_class": prediction.predicted_class_id,
        "confidence": prediction.confidence,
        "margin": prediction.margin,
        "entropy": prediction.entropy,
        "probabilities": prediction.probabilities,
    }


def _upload_out(batch: UploadBatch) -> dict[str, Any]:
    return {
        "id": batch.pk,
        "job": batch.job_id,
        "files": len(batch.staged_files),
        "report": batch.report,
        "added": batch.added,
        "duplicates": batch.duplicates,
        "rejected": batch.rejected,
    }


@router.post(
    "/projects/{project_id}/images",
    response={201: UploadOut},
    operation_id="upload_images",
    summary=f"Upload images or zip archives (at most {settings.DATA_UPLOAD_MAX_NUMBER_FILES})",
)
@api_role("labeler")
def upload_images(
    request: HttpRequest,
    project_id: DatabaseId,
    files: File[list[UploadedFile]],
    labels_from_folders: Form[bool] = False,
) -> Status[dict[str, Any]]:
    """With labels_from_folders, images in a class folder of a zip (cat/1.jpg) are labeled
    with that class, created if the project lacks it."""
    try:
        project = project_access(request).project
        batch = receive_upload(project, request.user, files, labels_from_folders)
    except UploadRejected as error:
        raise HttpError(422, str(error)) from None
    return Status(201, _upload_out(batch))


@router.get(
    "/projects/{project_id}/uploads/{batch_id}", response=UploadOut, operation_id="upload_status"
)
@api_role("labeler")
def upload_status(
    request: HttpRequest, project_id: DatabaseId, batch_id: DatabaseId
) -> dict[str, Any]:
    batch = get_object_or_404(UploadBatch, pk=batch_id, project=project_access(request).project)
    return _upload_out(batch)


@router.get("/projects/{project_id}/images", response=dict[str, Any], operation_id="list_images")
@api_role("viewer")
def list_images(request: HttpRequest, project_id: DatabaseId, page: Query[Page]) -> dict[str, Any]:
    """Filters: status=labeled|unlabeled, label, predicted, min_confidence, max_confidence,
    disagree=1 (the same as the labeling page)."""
    try:
        image_filter = parse_filter(request.GET)
    except FilterError as error:
        raise HttpError(422, str(error)) from None
    images = filter_images(project_access(request).project, image_filter).order_by("id")
    rows = images[page.offset : page.offset + page.limit]
    return paged([_image_out(image) for image in rows], images.count())


@router.get(
    "/projects/{project_id}/images/{image_id}", response=ImageDetailOut, operation_id="get_image"
)
@api_role("viewer")
def get_image(request: HttpRequest, project_id: DatabaseId, image_id: DatabaseId) -> dict[str, Any]:
    project = project_access(request).project
    image = get_object_or_404(Image, pk=image_id, project=project)
    prediction = (
        Prediction.objects.filter(image=image, model_version_id=project.current_classifier_id)
        .select_related("model_version")
        .first()
    )
    return {**_image_out(image), "prediction": prediction and _prediction_out(prediction)}


@router.get(
    "/projects/{project_id}/predictions", response=dict[str, Any], operation_id="list_predictions"
)
@api_role("viewer")
def list_predictions(
    request: HttpRequest, project_id: DatabaseId, page: Query[Page]
) -> dict[str, Any]:
    """The current classifier's predictions, most confident first."""
    project = project_access(request).project
    predictions = (
        Prediction.objects.filter(
            model_version_id=project.current_classifier_id, image__project=project
        )
        .select_related("model_version")
        .order_by("-confidence", "image_id")
    )
    rows = predictions[page.offset : page.offset + page.limit]
    return paged([_prediction_out(p) for p in rows], predictions.count())


@router.get("/projects/{project_id}/queue", response=dict[str, Any], operation_id="label_queue")
@api_role("viewer")
def label_queue(request: HttpRequest, project_id: DatabaseId, page: Query[Page]) -> dict[str, Any]:
    """The images to label next, best first, with the reason each was picked."""
    items = QueueItem.objects.filter(
        project=project_access(request).project, image__current_label__isnull=True
    ).order_by("rank")
    rows = items[page.offset : page.offset + page.limit]
    out = [
        {
            "image": i.image_id,
            "rank": i.rank,
            "strategy": i.strategy,
            "score": i.score,
            "reason": i.reason,
        }
        for i in rows
    ]
    return paged(out, items.count())
