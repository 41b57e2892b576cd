"""Turn a failing media storage (disk full, read-only, bucket unreachable) into a clear
answer instead of a server error. Views that write files clean up after themselves before
the error reaches here (uploads delete what they staged and roll back their rows)."""

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger(__name__)

MESSAGE = (
    "The media storage could not be written, so nothing was saved. "
    "Try again later, or ask the administrator to check the disk or bucket."
)


class StorageErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not _is_storage_error(exception):
            return None
        logger.error("media storage failed on %s", request.path, exc_info=exception)
        if request.path.startswith("/api/") or request.accepts("application/json"):
            return JsonResponse({"detail": MESSAGE}, status=503)
        return HttpResponse(MESSAGE, status=503, content_type="text/plain; charset=utf-8")


def _is_storage_error(exception: Exception) -> bool:
    if isinstance(exception, OSError):
        return True
    try:  # S3-compatible storage reports failures as botocore errors
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:
        return False
    return isinstance(exception, BotoCoreError | ClientError)
