"""Pictures and thumbnails, served to project members only, through the storage API.

URL names (reverse with ``project_id``, ``image_id`` and, for the cacheable ones,
``content_hash=image.content_hash``)::

    {% url "image-thumbnail-hashed" project.pk image.pk image.content_hash %}  cached for a year
    {% url "image-file-hashed" project.pk image.pk image.content_hash %}       cached for a year
    {% url "image-thumbnail" project.pk image.pk %}    revalidated each time (ETag)
    {% url "image-file" project.pk image.pk %}         revalidated each time (ETag)

A picture's bytes never change, and the hashed URLs name them by content hash, so the
browser may keep them forever; a stale hash answers 404. The content type always comes
from what the importer stored (JPEG, PNG or WebP), never from the file, and is marked
``nosniff``, so nothing uploaded can be served as HTML or SVG. A picture left in its bucket
is read from there (labelapp/images/image_bytes.py); when it cannot be, the answer says why
in plain text (404 when the object is gone or changed, 503 when the bucket cannot be reached).
"""

from typing import IO, cast

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.http.response import HttpResponseBase

from labelapp.images.image_bytes import ImageGone, ImageUnavailable, open_image
from labelapp.images.models import Image
from labelapp.projects.permissions import ProjectAccess, project_role

CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
IMMUTABLE = "private, max-age=31536000, immutable"
REVALIDATE = "private, no-cache"


@project_role("viewer")
def image_thumbnail(request: HttpRequest, access: ProjectAccess, image_id: int) -> HttpResponse:
    return _serve(request, access, image_id, None, thumbnail=True)


@project_role("viewer")
def image_thumbnail_hashed(
    request: HttpRequest, access: ProjectAccess, image_id: int, content_hash: str
) -> HttpResponse:
    return _serve(request, access, image_id, content_hash, thumbnail=True)


@project_role("viewer")
def image_file(request: HttpRequest, access: ProjectAccess, image_id: int) -> HttpResponse:
    return _serve(request, access, image_id, None, thumbnail=False)


@project_role("viewer")
def image_file_hashed(
    request: HttpRequest, access: ProjectAccess, image_id: int, content_hash: str
) -> HttpResponse:
    return _serve(request, access, image_id, content_hash, thumbnail=False)


def _serve(
    request: HttpRequest,
    access: ProjectAccess,
    image_id: int,
    content_hash: str | None,
    thumbnail: bool,
) -> HttpResponse:
    image = Image.objects.filter(project=access.project, pk=image_id).first()
    if image is None or (content_hash is not None and content_hash != image.content_hash):
        raise Http404("No such image.")
    etag = f'"{image.content_hash}{"-t" if thumbnail else ""}"'
    cache_control = IMMUTABLE if content_hash else REVALIDATE
    if request.headers.get("If-None-Match") == etag:
        response: HttpResponseBase = HttpResponseNotModified()
    else:
        content_type = "image/jpeg" if thumbnail else CONTENT_TYPES.get(image.format)
        if content_type is None:
            raise Http404("This image has no file to show.")
        try:
            stream = _open_thumbnail(image) if thumbnail else open_image(image)
        except ImageUnavailable as problem:
            return _unavailable(problem)
        response = FileResponse(stream, content_type=content_type)
    response["ETag"] = etag
    response["Cache-Control"] = cache_control
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return cast(HttpResponse, response)  # a FileResponse streams; the decorator's type is narrower


def _open_thumbnail(image: Image) -> IO[bytes]:
    if not image.thumbnail.name:
        raise ImageGone("This image has no thumbnail.")
    try:
        return cast(IO[bytes], default_storage.open(image.thumbnail.name, "rb"))
    except OSError:
        raise ImageGone("This image's thumbnail is missing from storage.") from None


def _unavailable(problem: ImageUnavailable) -> HttpResponse:
    # Not cached: the bucket may be back, or the object restored, on the next look.
    status = 404 if isinstance(problem, ImageGone) else 503
    response = HttpResponse(str(problem), status=status, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
