"""The current classifier: download it (TorchScript, ONNX, model card), or ask it about images."""

import json
from typing import Literal

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.utils.text import slugify
from ninja import File, Router, Schema, UploadedFile
from ninja.errors import HttpError

from labelapp.api.access import api_role, project_access
from labelapp.ids import DatabaseId
from labelapp.learning.model_card import STAND_IN_NOTE, model_card, model_card_markdown
from labelapp.learning.model_export import NoExport, export_file
from labelapp.learning.models import ModelVersion
from labelapp.learning.predict_service import (
    MAX_IMAGE_BYTES,
    MAX_IMAGES,
    PredictionRefused,
    SentImage,
    predict_images,
)
from labelapp.projects.models import Project

router = Router(tags=["models"])

ModelFile = Literal[
    "classifier.onnx", "classifier.torchscript.pt", "model-card.json", "model-card.md"
]
STORED_FORMATS = {"classifier.onnx": "onnx", "classifier.torchscript.pt": "torchscript"}


class ClassOut(Schema):
    id: int
    name: str


class ImagePredictionOut(Schema):
    file: str
    predicted_class: int
    predicted_label: str
    confidence: float
    probabilities: dict[str, float]  # class id -> probability, as stored predictions


class PredictOut(Schema):
    model_version: int
    model_version_number: int
    method: str  # of the exported network that answered (see the model card)
    note: str | None  # set when that network stands in for one that cannot be exported
    classes: list[ClassOut]
    predictions: list[ImagePredictionOut]


@router.get(
    "/projects/{project_id}/model/{file_name}",
    operation_id="download_model",
    url_name="download_model",
)
@api_role("viewer")
def download_model(
    request: HttpRequest, project_id: DatabaseId, file_name: ModelFile
) -> HttpResponseBase:
    """The current classifier (encoder and head, preprocessing inside) as ONNX or TorchScript,
    or its model card (JSON or Markdown): 409 when it has no export."""
    project = project_access(request).project
    version = _current_classifier(project)
    download = f"{slugify(project.name) or 'project'}-{project.pk}-v{version.number}-{file_name}"
    try:
        if file_name in STORED_FORMATS:
            stored = default_storage.open(export_file(version, STORED_FORMATS[file_name]), "rb")
            return FileResponse(stored, as_attachment=True, filename=download)
        export_file(version, "onnx")  # a card only for a classifier that was exported
    except NoExport as error:
        raise HttpError(409, str(error)) from None
    card = model_card(version)
    if file_name == "model-card.json":
        response = HttpResponse(json.dumps(card, indent=2), content_type="application/json")
    else:
        response = HttpResponse(
            model_card_markdown(card), content_type="text/markdown; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="{download}"'
    return response


@router.post(
    "/projects/{project_id}/predict",
    response=PredictOut,
    operation_id="predict_images",
    summary=f"Class probabilities of up to {MAX_IMAGES} images (not stored)",
)
@api_role("viewer")
def predict(
    request: HttpRequest, project_id: DatabaseId, files: File[list[UploadedFile]]
) -> PredictOut:
    """The current classifier's probabilities for each image sent, by class id, in the order
    sent; the images are not stored. 409 before any classifier, 413 for a file too large."""
    sent = [  # one byte over the limit is enough to refuse a file as too large
        SentImage(file.name or f"file {index + 1}", file.read(MAX_IMAGE_BYTES + 1))
        for index, file in enumerate(files)
    ]
    try:
        result = predict_images(project_access(request).project, sent)
    except PredictionRefused as error:
        raise HttpError(error.status, str(error)) from None
    classes = [
        ClassOut(id=class_id, name=name)
        for class_id, name in zip(result.class_ids, result.class_names, strict=True)
    ]
    predictions = []
    for image, row in zip(sent, result.probabilities, strict=True):
        winner = int(row.argmax())
        predictions.append(
            ImagePredictionOut(
                file=image.name,
                predicted_class=classes[winner].id,
                predicted_label=classes[winner].name,
                confidence=float(row[winner]),
                probabilities={str(c.id): float(p) for c, p in zip(classes, row, strict=True)},
            )
        )
    version, export = result.version, result.version.config["export"]
    return PredictOut(
        model_version=version.pk, model_version_number=version.number,
        method=export["method"], note=STAND_IN_NOTE if export.get("stand_in_for") else None,
        classes=classes, predictions=predictions,
    )  # fmt: skip


def _current_classifier(project: Project) -> ModelVersion:
    if project.current_classifier is None:
        raise HttpError(409, "This project has no classifier yet: train one and predict first.")
    return project.current_classifier
