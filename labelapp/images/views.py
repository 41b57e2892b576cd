"""Export downloads, for every member of the project (owner, labeler or viewer).

URL names: ``project-export-csv``, ``project-export-json``, ``project-export-zip``
(reverse with ``project_id``). Each answer is streamed, whatever the project's size.
"""

from collections.abc import Callable, Iterator

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from labelapp.images.access import SignInRequired, member_project
from labelapp.images.export import csv_lines, imagenet_zip_chunks, json_chunks
from labelapp.projects.models import Project


@require_safe
def export_csv(request: HttpRequest, project_id: int) -> HttpResponseBase:
    return _download(request, project_id, csv_lines, "text/csv; charset=utf-8", "csv")


@require_safe
def export_json(request: HttpRequest, project_id: int) -> HttpResponseBase:
    return _download(request, project_id, json_chunks, "application/json", "json")


@require_safe
def export_imagenet_zip(request: HttpRequest, project_id: int) -> HttpResponseBase:
    return _download(request, project_id, imagenet_zip_chunks, "application/zip", "zip")


def _download(
    request: HttpRequest,
    project_id: int,
    produce: Callable[[Project], Iterator[str] | Iterator[bytes]],
    content_type: str,
    extension: str,
) -> HttpResponseBase:
    try:
        project = member_project(request.user, project_id)
    except SignInRequired:
        return redirect_to_login(request.get_full_path())
    file_name = f"{slugify(project.name) or 'project'}-{project.pk}-labels.{extension}"
    if extension == "zip":
        file_name = f"{slugify(project.name) or 'project'}-{project.pk}-imagenet.zip"
    response = StreamingHttpResponse(produce(project), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
