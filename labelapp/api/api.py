"""The REST API at /api/: OpenAPI schema at /api/openapi.json, docs at /api/docs."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from labelapp.api import exports, images, jobs, labels, projects
from labelapp.api.auth import API_AUTH
from labelapp.projects.permissions import public

# Every router of the API; the permission matrix test walks their operations.
ROUTERS = [projects.router, images.router, labels.router, jobs.router, exports.router]

api = NinjaAPI(
    title="labelapp API",
    version="1",
    auth=API_AUTH,
    urls_namespace="api-1",
    docs_decorator=public,  # the schema and its docs page describe, they reveal no data
    description=(
        "Send `Authorization: Bearer <token>` (create a token on your account page). "
        "Lists take `limit` (at most 500) and `offset`."
    ),
)
for router in ROUTERS:
    api.add_router("/", router)


def _field_name(location: tuple[Any, ...]) -> str:
    parts = [str(part) for part in location if part not in ("body", "query", "path", "file")]
    return ".".join(parts) or "request"


@api.exception_handler(ValidationError)
def readable_validation_error(request: HttpRequest, error: ValidationError) -> HttpResponse:
    problems = [
        {"field": _field_name(tuple(item.get("loc", ()))), "message": str(item.get("msg", ""))}
        for item in error.errors
    ]
    summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
    return api.create_response(
        request, {"detail": summary or "Invalid request.", "errors": problems}, status=422
    )


@api.exception_handler(AuthenticationError)
def not_signed_in(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    detail = "Sign in, or send an API token as 'Authorization: Bearer <token>'."
    return api.create_response(request, {"detail": detail}, status=401)
