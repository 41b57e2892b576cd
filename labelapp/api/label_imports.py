"""Labels and predictions made elsewhere: posted in bulk, checked row by row."""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router
from ninja.errors import HttpError
from pydantic import model_validator

from labelapp.api.access import api_role, project_access
from labelapp.api.schemas import TextInput
from labelapp.ids import DatabaseId
from labelapp.images.label_import import LabelRow, import_label_rows
from labelapp.learning.external_predictions import PredictionRow, store_external_predictions

router = Router(tags=["labels"])
MAX_ROWS = 10_000


class ImageKeyIn(TextInput):
    """Name the image by exactly one of these."""

    image_id: int | None = None
    content_hash: str | None = Field(None, max_length=64, description="SHA-256 of the file")
    original_name: str | None = Field(None, max_length=500)

    def key(self) -> tuple[str, str]:
        if self.image_id is not None:
            return "id", str(self.image_id)
        if self.content_hash is not None:
            return "hash", self.content_hash
        return "name", self.original_name or ""

    @model_validator(mode="after")
    def one_key(self) -> "ImageKeyIn":
        given = [self.image_id, self.content_hash, self.original_name]
        if sum(value is not None for value in given) != 1:
            raise ValueError("give exactly one of image_id, content_hash, original_name")
        return self


class LabelRowIn(ImageKeyIn):
    label: str = Field(..., max_length=100, description="A class name; empty leaves it alone")


class BulkLabelsIn(TextInput):
    labels: list[LabelRowIn] = Field(..., min_length=1, max_length=MAX_ROWS)


class RowProblem(TextInput):
    row: int = Field(description="The row's index in the request, from 0")
    message: str


class BulkLabelsOut(TextInput):
    applied: int
    unchanged: int = Field(description="Rows whose image already had that label")
    skipped: int = Field(description="Rows with an empty label, left alone")
    problems: list[RowProblem]
    problem_count: int


class PredictionRowIn(ImageKeyIn):
    probabilities: dict[str, float] = Field(..., description="class name -> probability")


class PredictionsIn(TextInput):
    source: str = Field(..., min_length=1, max_length=100, description="The model's name")
    predictions: list[PredictionRowIn] = Field(..., min_length=1, max_length=MAX_ROWS)
    make_current: bool = Field(True, description="The accept page and queue then use them")


class PredictionsOut(TextInput):
    model_version: int | None
    model_version_number: int | None
    stored: int
    problems: list[RowProblem]
    problem_count: int


@router.post(
    "/projects/{project_id}/labels/bulk", response=BulkLabelsOut, operation_id="import_labels"
)
@api_role("labeler")
def import_labels(request: HttpRequest, project_id: DatabaseId, body: BulkLabelsIn) -> Any:
    """Apply labels made elsewhere, by class name: every valid row is applied (in one
    transaction) and each other row is reported by its index. They count as a person's
    labels (source "import"), as a labels CSV does; send a model's output as predictions."""
    rows = (LabelRow(index, *row.key(), row.label.strip()) for index, row in enumerate(body.labels))
    return import_label_rows(project_access(request).project, request.user, rows)


@router.post(
    "/projects/{project_id}/predictions/external",
    response=PredictionsOut,
    operation_id="import_predictions",
)
@api_role("labeler")
def import_predictions(request: HttpRequest, project_id: DatabaseId, body: PredictionsIn) -> Any:
    """Store another model's class probabilities as a new classifier version (method
    "external", its source named); made current, the accept page, filters and label-next
    queue use them. Invalid rows are reported by index; 422 when none is valid."""
    rows = [
        PredictionRow(index, *row.key(), row.probabilities)
        for index, row in enumerate(body.predictions)
    ]
    project = project_access(request).project
    report = store_external_predictions(project, body.source.strip(), rows, body.make_current)
    if report.version is None:
        raise HttpError(422, f"No row is valid; the first problem: {report.problems[0]['message']}")
    return {
        "model_version": report.version.pk,
        "model_version_number": report.version.number,
        "stored": report.stored,
        "problems": report.problems,
        "problem_count": report.problem_count,
    }
