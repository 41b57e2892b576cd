"""Downloading a project's labels (CSV or JSON) or an ImageNet-style zip of its images."""

from collections.abc import Callable, Iterator
from typing import Literal

from django.http import HttpRequest, StreamingHttpResponse
from django.utils.text import slugify
from ninja import Router

from labelapp.api.access import api_role, project_access
from labelapp.ids import DatabaseId
from labelapp.images.export import csv_lines, imagenet_zip_chunks, json_chunks
from labelapp.projects.models import Project

router = Router(tags=["export"])

Producer = Callable[[Project], Iterator[str] | Iterator[bytes]]
FORMATS: dict[str, tuple[Producer, str, str]] = {
    "csv": (csv_lines, "text/csv; charset=utf-8", "labels.csv"),
    "json": (json_chunks, "application/json", "labels.json"),
    "zip": (imagenet_zip_chunks, "application/zip", "imagenet.zip"),
}


@router.get("/projects/{project_id}/export", operation_id="export_project")
@api_role("viewer")
def export_project(
    request: HttpRequest, project_id: DatabaseId, format: Literal["csv", "json", "zip"] = "csv"
) -> StreamingHttpResponse:
    """Streamed, whatever the project's size: labels as CSV or JSON, or a zip of the images
    in one folder per class."""
    project = project_access(request).project
    produce, content_type, suffix = FORMATS[format]
    response = StreamingHttpResponse(produce(project), content_type=content_type)
    name = f"{slugify(project.name) or 'project'}-{project.pk}-{suffix}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response
