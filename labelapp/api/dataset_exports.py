"""Downloading the labeled images as a data set split for training code (dataset_export.py)."""

from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from labelapp.api.access import api_role, project_access
from labelapp.ids import DatabaseId
from labelapp.images.dataset_export import SplitSettings, huggingface_zip_chunks, yolo_zip_chunks
from labelapp.images.dataset_views import streamed_zip

router = Router(tags=["export"])
LAYOUTS = {"huggingface": huggingface_zip_chunks, "yolo": yolo_zip_chunks}


class SplitIn(Schema):
    layout: Literal["huggingface", "yolo"] = "huggingface"
    seed: int = Field(0, ge=0, lt=2**31, description="The same seed gives the same split.")
    validation_fraction: float = Field(0.1, ge=0, lt=1)
    test_fraction: float = Field(0.1, ge=0, lt=1)


@router.get("/projects/{project_id}/export/dataset", operation_id="export_dataset")
@api_role("viewer")
def export_dataset(
    request: HttpRequest, project_id: DatabaseId, split: Query[SplitIn]
) -> HttpResponse:
    """A zip of the labeled images split train/validation/test (stratified by class, seeded):
    Hugging Face ``imagefolder`` (``metadata.jsonl`` per split) or YOLO classification folders."""
    try:
        settings = SplitSettings(split.seed, split.validation_fraction, split.test_fraction)
    except ValueError as error:
        raise HttpError(422, str(error)) from None
    project = project_access(request).project
    return streamed_zip(project, LAYOUTS[split.layout](project, settings), split.layout, split.seed)
