"""Imports from where photos live: a list of URLs, or an S3-compatible bucket and prefix."""

from typing import Literal

from django.http import HttpRequest
from ninja import Field, File, Router, Status, UploadedFile
from ninja.errors import HttpError

from labelapp.api.access import api_role, project_access
from labelapp.api.schemas import TextInput, UploadOut
from labelapp.ids import DatabaseId
from labelapp.images.models import UploadBatch
from labelapp.images.remote_import import BucketSpec, receive_bucket_import, receive_url_list
from labelapp.images.uploads import UploadRejected

router = Router(tags=["images"])


class BucketImportIn(TextInput):
    bucket: str = Field(..., min_length=1, max_length=255)
    prefix: str = Field("", max_length=1024)
    endpoint_url: str = Field(
        "", max_length=500, description="An S3-compatible server; empty for Amazon S3."
    )
    region: str = Field("", max_length=50)
    access_key_id: str = Field("", max_length=128, description="Empty for a public bucket.")
    secret_access_key: str = Field(
        "",
        max_length=256,
        description="Never shown or logged; kept until a copy import ends, and for as long "
        "as a reference import's images are read.",
    )
    mode: Literal["copy", "reference"] = Field(
        "copy",
        description="`copy` (the default) stores the photos with the project, so it keeps "
        "working if the bucket changes or goes away, and training reads local files; "
        "`reference` keeps no second copy and reads each photo from the bucket when needed.",
    )


@router.post(
    "/projects/{project_id}/imports/urls",
    response={201: UploadOut},
    operation_id="import_urls",
)
@api_role("labeler")
def import_urls(
    request: HttpRequest, project_id: DatabaseId, file: File[UploadedFile]
) -> Status[UploadBatch]:
    """Import the images at the addresses in a text file (one a line) or a CSV file (a
    `url` column). Watch the returned job; the report lists each address's outcome."""
    try:
        batch = receive_url_list(project_access(request).project, request.user, file)
    except UploadRejected as error:
        raise HttpError(422, str(error)) from None
    return Status(201, batch)


@router.post(
    "/projects/{project_id}/imports/bucket",
    response={201: UploadOut},
    operation_id="import_bucket",
)
@api_role("labeler")
def import_bucket(
    request: HttpRequest, project_id: DatabaseId, body: BucketImportIn
) -> Status[UploadBatch]:
    """Import every image under the prefix: copied into the project by default (so it keeps
    working whatever later happens to the bucket or its keys), or, with `mode=reference`,
    left in the bucket and read from it whenever it is shown, trained on or exported."""
    spec = BucketSpec(**body.dict())
    try:
        batch = receive_bucket_import(project_access(request).project, request.user, spec)
    except UploadRejected as error:
        raise HttpError(422, str(error)) from None
    return Status(201, batch)
