"""Setting labels (with conflict detection) and reading an image's label history."""

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Status
from ninja.errors import HttpError

from labelapp.api.access import api_role, project_access
from labelapp.api.schemas import HistoryOut, LabelIn, LabelResult, LabelsIn, LabelsOut
from labelapp.ids import DatabaseId
from labelapp.images.labeling import LabelConflict, set_label
from labelapp.images.models import Image, LabelSource
from labelapp.learning.models import QueueItem
from labelapp.projects.models import LabelClass, Project
from labelapp.projects.permissions import ProjectAccess

router = Router(tags=["labels"])


def _label_class(project: Project, class_id: int | None) -> LabelClass | None:
    if class_id is None:
        return None
    label_class = LabelClass.objects.filter(project=project, pk=class_id).first()
    if label_class is None:
        raise HttpError(422, f"This project has no class with id {class_id}.")
    return label_class


def _result(image: Image, ok: bool, message: str = "") -> LabelResult:
    label = image.current_label
    return LabelResult(
        id=image.pk,
        ok=ok,
        label_class=label.pk if label else None,
        label_name=label.name if label else "",
        label_version=image.label_version,
        message=message,
    )


def _picked_by(project: Project, sent: dict[int, str | None]) -> dict[int, str]:
    """Each image's ``picked_by``: what the client sent, or, where it sent nothing, the
    strategy of the image's "Label next" item now ("" when it is not queued). A client that
    labels the queue without knowing the field then does not calibrate the expected accuracy
    with the model's least-sure picks; a queue rebuilt meanwhile may tag it wrongly, which
    is why the app's own pages send it."""
    omitted = [image_id for image_id, value in sent.items() if value is None]
    queued = dict(
        QueueItem.objects.filter(project=project, image_id__in=omitted).values_list(
            "image_id", "strategy"
        )
    )
    return {image_id: queued.get(image_id, "") if value is None else value
            for image_id, value in sent.items()}  # fmt: skip


def _label_images(request: HttpRequest, access: ProjectAccess, body: LabelsIn) -> Status[LabelsOut]:
    label_class = _label_class(access.project, body.label_class)
    source = LabelSource.PREDICTION if body.source == "prediction" else LabelSource.PERSON
    model_version = access.project.current_classifier if source == LabelSource.PREDICTION else None
    wanted = {item.id: item for item in body.images}
    picked_by = _picked_by(access.project, {item.id: item.picked_by for item in body.images})
    images = Image.objects.filter(project=access.project, pk__in=wanted)
    found = {image.pk: image for image in images}
    results = []
    for image_id, item in wanted.items():
        image = found.get(image_id)
        if image is None:
            results.append(_missing(image_id))
            continue
        try:
            set_label(
                image,
                label_class,
                request.user,
                item.expected_version,
                source,
                model_version,
                picked_by[image_id],
            )
            results.append(_result(image, ok=True))
        except LabelConflict as conflict:
            results.append(_result(conflict.image, ok=False, message=str(conflict)))
    status = 200 if all(result.ok for result in results) else 409
    return Status(status, LabelsOut(results=results))


def _missing(image_id: DatabaseId) -> LabelResult:
    return LabelResult(
        id=image_id,
        ok=False,
        label_class=None,
        label_name="",
        label_version=0,
        message="No such image in this project.",
    )


@router.post(
    "/projects/{project_id}/labels",
    response={200: LabelsOut, 409: LabelsOut},
    operation_id="set_labels",
)
@api_role("labeler")
def set_labels(request: HttpRequest, project_id: DatabaseId, body: LabelsIn) -> Status[LabelsOut]:
    """Give one class (null clears) to several images. Each image carries the
    label_version the caller saw; a changed image is left alone and answered with ok=false
    and its current label (status 409 when any image conflicted)."""
    return _label_images(request, project_access(request), body)


@router.put(
    "/projects/{project_id}/images/{image_id}/label",
    response={200: LabelResult, 409: LabelResult},
    operation_id="set_label",
)
@api_role("labeler")
def set_one_label(
    request: HttpRequest, project_id: DatabaseId, image_id: DatabaseId, body: LabelIn
) -> Status[LabelResult]:
    access = project_access(request)
    image = get_object_or_404(Image, pk=image_id, project=access.project)
    label_class = _label_class(access.project, body.label_class)
    try:
        picked_by = _picked_by(access.project, {image.pk: body.picked_by})[image.pk]
        set_label(image, label_class, request.user, body.expected_version, picked_by=picked_by)
    except LabelConflict as conflict:
        return Status(409, _result(conflict.image, ok=False, message=str(conflict)))
    return Status(200, _result(image, ok=True))


@router.get(
    "/projects/{project_id}/images/{image_id}/labels",
    response=list[HistoryOut],
    operation_id="label_history",
)
@api_role("viewer")
def label_history(
    request: HttpRequest, project_id: DatabaseId, image_id: DatabaseId
) -> list[HistoryOut]:
    """Every label the image has had, newest first."""
    image = get_object_or_404(Image, pk=image_id, project=project_access(request).project)
    return [
        HistoryOut(
            label_class=label.label_class_id,
            label_name=label.label_class.name if label.label_class else "",
            user=label.user.get_username() if label.user else "",
            source=label.source,
            created_at=label.created_at,
        )
        for label in image.labels.select_related("label_class", "user")
    ]
