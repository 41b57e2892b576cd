"""Downloads of the labeled images as split data sets (see dataset_export.py).

URL names: ``project-export-huggingface``, ``project-export-yolo`` (reverse with
``project_id``); ``?seed=N`` picks another reproducible split (default 0; the API also takes
the validation and test fractions).
"""

from collections.abc import Callable, Iterator
from typing import cast

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.utils.text import slugify

from labelapp.images.dataset_export import SplitSettings, huggingface_zip_chunks, yolo_zip_chunks
from labelapp.projects.models import Project
from labelapp.projects.permissions import ProjectAccess, project_role

Producer = Callable[[Project, SplitSettings], Iterator[bytes]]


@project_role("viewer")
def export_huggingface(request: HttpRequest, access: ProjectAccess) -> HttpResponse:
    return split_download(request, access.project, huggingface_zip_chunks, "huggingface")


@project_role("viewer")
def export_yolo(request: HttpRequest, access: ProjectAccess) -> HttpResponse:
    return split_download(request, access.project, yolo_zip_chunks, "yolo")


def split_download(
    request: HttpRequest, project: Project, produce: Producer, layout: str
) -> HttpResponse:
    seed = request.GET.get("seed", "0")
    if not seed.isdigit() or int(seed) >= 2**31:
        return HttpResponseBadRequest("seed must be a whole number from 0 to 2147483647.")
    settings = SplitSettings(seed=int(seed))
    return streamed_zip(project, produce(project, settings), layout, settings.seed)


def streamed_zip(project: Project, chunks: Iterator[bytes], layout: str, seed: int) -> HttpResponse:
    name = f"{slugify(project.name) or 'project'}-{project.pk}-{layout}-seed{seed}.zip"
    response = StreamingHttpResponse(chunks, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return cast(HttpResponse, response)  # streamed; the decorator's type is narrower
