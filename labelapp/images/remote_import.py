"""Start imports from where photos live: a list of URLs, or a bucket and prefix.

Like ``receive_upload``, each makes an UploadBatch and its "import" job; the job reads the
sources (labelapp/images/remote_sources.py) through the same importer as an upload::

    batch = receive_url_list(project, user, request.FILES["file"])
    batch = receive_bucket_import(project, user, BucketSpec(bucket="photos", prefix="2024/"))
    spec = BucketSpec(bucket="photos", mode=BucketMode.REFERENCE)  # leave them in the bucket

Nothing is fetched here: a 404, an unreachable host or a refused address is reported per
file by the job, and a bucket that cannot be listed fails the job with its reason.
"""

import csv
import io
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction

from labelapp.images.models import BucketMode, BucketSource, UploadBatch
from labelapp.images.uploads import UploadRejected
from labelapp.jobs.models import JobKind
from labelapp.jobs.services import enqueue_job
from labelapp.outbound import display_url
from labelapp.projects.models import Project

MAX_LIST_BYTES = 20 * 1024 * 1024
MAX_URL_LENGTH = 2000
URL_COLUMNS = ("url", "image_url", "link", "href")


@dataclass(frozen=True)
class BucketSpec:
    bucket: str
    prefix: str = ""
    endpoint_url: str = ""
    region: str = ""
    access_key_id: str = ""
    secret_access_key: str = ""
    mode: str = BucketMode.COPY  # see labelapp/images/remote_sources.py for why


def receive_url_list(project: Project, user: Any, url_file: IO[bytes]) -> UploadBatch:
    """Read a text file (one URL a line) or a CSV file (a ``url`` column) and start the
    import; raises UploadRejected when the file holds no usable URL."""
    entries = [_url_entry(url) for url in read_url_list(url_file)]
    if not any("url" in entry for entry in entries):
        raise UploadRejected("The list holds no http:// or https:// address.")
    with transaction.atomic():
        batch = UploadBatch.objects.create(project=project, created_by=user, staged_files=entries)
        _start(batch, project, user)
    return batch


def receive_bucket_import(project: Project, user: Any, spec: BucketSpec) -> UploadBatch:
    """Record where to read and start the import. A copy import keeps the secret only until
    it ends; a reference import keeps it for as long as its pictures are read."""
    if spec.mode not in BucketMode.values:
        raise UploadRejected("Choose whether to copy the photos or leave them in the bucket.")
    if not spec.bucket.strip():
        raise UploadRejected("Name the bucket to import from.")
    if spec.endpoint_url and urlsplit(spec.endpoint_url).scheme not in ("http", "https"):
        raise UploadRejected("The endpoint must be an http:// or https:// address.")
    if bool(spec.access_key_id) != bool(spec.secret_access_key):
        raise UploadRejected("Give both the access key and its secret, or neither.")
    with transaction.atomic():
        batch = UploadBatch.objects.create(project=project, created_by=user)
        BucketSource.objects.create(
            batch=batch,
            bucket=spec.bucket.strip(),
            prefix=spec.prefix,
            endpoint_url=spec.endpoint_url.strip(),
            region=spec.region.strip(),
            access_key_id=spec.access_key_id.strip(),
            secret_access_key=spec.secret_access_key,
            mode=spec.mode,
        )
        _start(batch, project, user)
    return batch


def read_url_list(url_file: IO[bytes]) -> list[str]:
    """The URLs of a text or CSV file, in order; raises UploadRejected."""
    data = url_file.read(MAX_LIST_BYTES + 1)
    if len(data) > MAX_LIST_BYTES:
        raise UploadRejected(f"The list is larger than {MAX_LIST_BYTES // 1024**2} MB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadRejected("The list is not UTF-8 text.") from None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = [cell.strip().lower() for cell in rows[0]] if rows else []
    column = next((header.index(name) for name in URL_COLUMNS if name in header), None)
    if column is not None:
        urls = [row[column].strip() for row in rows[1:] if len(row) > column]
    else:  # a plain list: the first cell of each line
        urls = [row[0].strip() for row in rows if row and not row[0].startswith("#")]
    urls = [url for url in urls if url]
    if len(urls) > settings.IMPORT_MAX_ARCHIVE_MEMBERS:
        raise UploadRejected(
            f"The list holds {len(urls)} addresses; the limit is "
            f"{settings.IMPORT_MAX_ARCHIVE_MEMBERS}."
        )
    return urls


def _url_entry(url: str) -> dict[str, str]:
    name = display_url(url)[:500]
    parts = urlsplit(url)
    if len(url) > MAX_URL_LENGTH:
        return {"name": name, "message": f"The address is longer than {MAX_URL_LENGTH} characters."}
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return {"name": name, "message": "Not an http:// or https:// address; skipped."}
    return {"name": name, "url": url}


def _start(batch: UploadBatch, project: Project, user: Any) -> None:
    batch.report = [
        {"name": entry["name"], "status": "rejected", "message": entry["message"]}
        for entry in batch.staged_files
        if "message" in entry
    ]
    batch.rejected = len(batch.report)
    batch.job = enqueue_job(JobKind.IMPORT, project, user, batch_id=batch.pk)
    batch.save(update_fields=["report", "rejected", "job"])
