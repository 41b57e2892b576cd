"""Export downloads, for every member of the project (owner, labeler or viewer).

URL names: ``project-export-csv``, ``project-export-json``, ``project-export-zip``
(reverse with ``project_id``). Each answer is streamed, whatever the project's size.
"""

from collections.abc import Callable, Iterator
from typing import cast

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.text import slugify

from labelapp.images.export import csv_lines, imagenet_zip_chunks, json_chunks
from labelapp.projects.models import Project
from labelapp.projects.permissions import ProjectAccess, project_role


@project_role("viewer")
def export_csv(request: HttpRequest, access: ProjectAccess) -> HttpResponse:
    return _download(access.project, csv_lines, "text/csv; charset=utf-8", "csv")


@project_role("viewer")
def export_json(request: HttpRequest, access: ProjectAccess) -> HttpResponse:
    return _download(access.project, json_chunks, "application/json", "json")


@project_role("viewer")
def export_imagenet_zip(request: HttpRequest, access: ProjectAccess) -> HttpResponse:
    return _download(access.project, imagenet_zip_chunks, "application/zip", "zip")


def _download(
    project: Project,
    produce: Callable[[Project], Iterator[str] | Iterator[bytes]],
    content_type: str,
    extension: str,
) -> HttpResponse:
    file_name = f"{slugify(project.name) or 'project'}-{project.pk}-labels.{extension}"
    if extension == "zip":
        file_name = f"{slugify(project.name) or 'project'}-{project.pk}-imagenet.zip"
    response = StreamingHttpResponse(produce(project), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return cast(HttpResponse, response)  # streamed; the decorator's type is narrower
