"""Images: upload, list with the labeling page's filters, one image, predictions, queue."""

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import File, Form, Query, Router, Status, UploadedFile
from ninja.errors import HttpError

from labelapp.api.access import api_role, project_access
from labelapp.api.schemas import (
    ImageDetailOut,
    ImageListQuery,
    ImagePage,
    Page,
    Paged,
    PredictionPage,
    QueueIn,
    QueuePage,
    UploadOut,
)
from labelapp.ids import DatabaseId
from labelapp.images.models import Image, UploadBatch
from labelapp.images.uploads import UploadRejected, receive_upload
from labelapp.learning.label_queue import QUEUE_SIZE, NothingToPickFrom, refresh_stored_queue
from labelapp.learning.models import Prediction, QueueItem
from labelapp.projects.image_filters import FilterError, filter_images, parse_filter
from labelapp.projects.models import Project

router = Router(tags=["images"])


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
) -> Status[UploadBatch]:
    """With labels_from_folders, images in a class folder of a zip (cat/1.jpg) are labeled
    with that class, created if the project lacks it."""
    try:
        project = project_access(request).project
        batch = receive_upload(project, request.user, files, labels_from_folders)
    except UploadRejected as error:
        raise HttpError(422, str(error)) from None
    return Status(201, batch)


@router.get(
    "/projects/{project_id}/uploads/{batch_id}", response=UploadOut, operation_id="upload_status"
)
@api_role("labeler")
def upload_status(
    request: HttpRequest, project_id: DatabaseId, batch_id: DatabaseId
) -> UploadBatch:
    batch = get_object_or_404(UploadBatch, pk=batch_id, project=project_access(request).project)
    return batch


@router.get("/projects/{project_id}/images", response=ImagePage, operation_id="list_images")
@api_role("viewer")
def list_images(
    request: HttpRequest, project_id: DatabaseId, page: Query[ImageListQuery]
) -> Paged[Image]:
    """The images, filtered as on the labeling page (see the query parameters)."""
    try:
        image_filter = parse_filter(request.GET)
    except FilterError as error:
        raise HttpError(422, str(error)) from None
    images = filter_images(project_access(request).project, image_filter).order_by("id")
    rows = images[page.offset : page.offset + page.limit]
    return Paged(images.count(), list(rows))


@router.get(
    "/projects/{project_id}/images/{image_id}", response=ImageDetailOut, operation_id="get_image"
)
@api_role("viewer")
def get_image(request: HttpRequest, project_id: DatabaseId, image_id: DatabaseId) -> Image:
    return get_object_or_404(Image, pk=image_id, project=project_access(request).project)


@router.get(
    "/projects/{project_id}/predictions", response=PredictionPage, operation_id="list_predictions"
)
@api_role("viewer")
def list_predictions(
    request: HttpRequest, project_id: DatabaseId, page: Query[Page]
) -> Paged[Prediction]:
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
    return Paged(predictions.count(), list(rows))


@router.get("/projects/{project_id}/queue", response=QueuePage, operation_id="label_queue")
@api_role("viewer")
def label_queue(
    request: HttpRequest, project_id: DatabaseId, page: Query[Page]
) -> Paged[QueueItem]:
    """The images to label next, best first, with the reason each was picked."""
    return _queue_page(project_access(request).project, page)


@router.post("/projects/{project_id}/queue", response=QueuePage, operation_id="refresh_label_queue")
@api_role("labeler")
def refresh_label_queue(
    request: HttpRequest, project_id: DatabaseId, body: QueueIn
) -> Paged[QueueItem]:
    """Pick the images to label next again, with the strategy of your choice, from the
    representations stored by the last Embed or Pretrain (images added since are left out
    until the next one). Images a person queued by hand stay at the front."""
    project = project_access(request).project
    try:
        refresh_stored_queue(project, body.strategy)
    except NothingToPickFrom as error:
        raise HttpError(409, str(error)) from None
    return _queue_page(project, Page(limit=QUEUE_SIZE, offset=0))


def _queue_page(project: Project, page: Page) -> Paged[QueueItem]:
    items = QueueItem.objects.filter(project=project, image__current_label__isnull=True)
    rows = items.order_by("rank")[page.offset : page.offset + page.limit]
    return Paged(items.count(), list(rows))
