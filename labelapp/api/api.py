"""The REST API at /api/: OpenAPI schema at /api/openapi.json, docs at /api/docs."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError

from labelapp.api import (
    dataset_exports,
    exports,
    images,
    insights,
    jobs,
    label_imports,
    labels,
    models,
    projects,
    remote_imports,
)
from labelapp.api.auth import API_AUTH
from labelapp.projects.permissions import public

# Every router of the API; the permission matrix test walks their operations.
ROUTERS = [
    projects.router,
    images.router,
    labels.router,
    jobs.router,
    exports.router,
    insights.router,
    remote_imports.router,
    label_imports.router,
    models.router,  # models out
    dataset_exports.router,  # split data sets out
]

# Answers any operation may give besides its own: the shape is {"detail": "...", "errors"?}.
ERROR_STATUSES = {
    "400": "The request is malformed.",
    "401": "Not signed in and no valid API token.",
    "403": "Your role in this project does not allow this.",
    "404": "No such project or object (or you are not a member).",
    "409": "The object changed meanwhile, or is in a state that does not allow this.",
    "413": "The request is too large.",
    "422": "The input is invalid; `detail` says how.",
    "503": "A storage or service the request needs is unavailable.",
}
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["detail"],
}


class DocumentedErrorsAPI(NinjaAPI):
    """Documents the shared error answers on every operation of the schema, in one place."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        for path_item in schema["paths"].values():
            for operation in path_item.values():
                responses = operation.setdefault("responses", {})
                documented = {str(code) for code in responses}
                for status, description in ERROR_STATUSES.items():
                    if status in documented:
                        continue
                    responses.setdefault(
                        int(status),
                        {
                            "description": description,
                            "content": {"application/json": {"schema": ERROR_SCHEMA}},
                        },
                    )
        return schema


api = DocumentedErrorsAPI(
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
