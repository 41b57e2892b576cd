"""Sources that live elsewhere: image URLs, and the objects under a bucket's prefix.

They give the importer the same ``SourceFile`` as an upload, so they go through the same
validation, deduplication and per-file report. Each file is downloaded into memory up to
the one-image limit and no further; a file that cannot be read becomes a refusal in the
report (``SourceUnavailable``), never the end of the import. A bucket that cannot be
listed stops the import before anything is read (``BucketUnavailable``).

A bucket import copies the objects into the project's own storage by default: training
reads every picture many times, one place that the app controls is faster and cheaper to
read than a bucket, and nothing breaks when the bucket's keys expire or its objects change.
A reference import (``BucketMode.REFERENCE``) keeps no second copy: each object still
goes through the same checks, but its ``SourceFile`` carries an ``ObjectReference`` and
labelapp/images/image_bytes.py reads it back from the bucket on demand.
"""

import io
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import IO, Any, cast

from django.conf import settings

from labelapp.images.models import BucketMode, BucketSource, UploadBatch
from labelapp.images.sources import (
    ObjectReference,
    RefusedFile,
    SourceFile,
    SourceUnavailable,
    staged_sources,
)
from labelapp.outbound import OutboundRefused, check_target, fetch

Opener = Callable[[], AbstractContextManager[IO[bytes]]]
URL_TIMEOUT_SECONDS = 30.0
CACHED_CLIENTS = 32
CLIENT_FIELDS = ("pk", "endpoint_url", "region", "access_key_id", "secret_access_key")
_clients: dict[tuple[object, ...], Any] = {}


class BucketUnavailable(ValueError):
    """The bucket cannot be listed; ``str(error)`` says why (never with the secret)."""


def batch_sources(batch: UploadBatch) -> Iterator[SourceFile | RefusedFile]:
    """Every source of a batch: a bucket's objects, URLs, or staged uploads."""
    bucket = BucketSource.objects.filter(batch=batch).first()
    if bucket is not None:
        yield from bucket_sources(bucket)
    for entry in batch.staged_files:
        if entry.get("url"):
            yield url_source(str(entry["name"]), str(entry["url"]))
    yield from staged_sources(batch)


def url_source(name: str, url: str) -> SourceFile:
    # The size is unknown until downloaded: progress counts files instead of bytes.
    def open_url() -> AbstractContextManager[IO[bytes]]:
        try:
            data = fetch(url, settings.IMPORT_MAX_FILE_BYTES, URL_TIMEOUT_SECONDS)
        except OutboundRefused as refusal:
            raise SourceUnavailable(str(refusal)) from None
        return _stream(data)

    return SourceFile(name, 1, open_url)


def bucket_sources(bucket: BucketSource) -> Iterator[SourceFile]:
    """Every object under the prefix, in key order; raises BucketUnavailable."""
    client = bucket_client(bucket)
    limit = settings.IMPORT_MAX_ARCHIVE_MEMBERS
    listed = 0
    keep_in_bucket = bucket.mode == BucketMode.REFERENCE
    try:
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket.bucket, Prefix=bucket.prefix
        )
        for page in pages:
            for entry in page.get("Contents", []):
                key, size = str(entry["Key"]), int(entry.get("Size", 0))
                if key.endswith("/"):
                    continue  # a "folder" placeholder
                listed += 1
                if listed > limit:
                    raise BucketUnavailable(
                        f"The prefix holds more than {limit} objects; import a narrower prefix."
                    )
                opener = _object_opener(client, bucket.bucket, key, size)
                reference = ObjectReference(bucket.pk, key) if keep_in_bucket else None
                yield SourceFile(key, max(size, 1), opener, reference)
    except BucketUnavailable:
        raise
    except Exception as error:  # botocore's errors share no base class
        raise BucketUnavailable(f"The bucket cannot be read: {describe_error(error)}") from None


def cached_bucket_client(bucket: BucketSource) -> Any:
    """``bucket_client``, made once per process for each bucket source and its credentials:
    reading a reference import's pictures one by one must not build a client each time."""
    key = tuple(getattr(bucket, name) for name in CLIENT_FIELDS)
    client = _clients.get(key)
    if client is None:
        if len(_clients) >= CACHED_CLIENTS:
            _clients.clear()
        client = _clients[key] = bucket_client(bucket)
    return client


def bucket_client(bucket: BucketSource) -> Any:
    """An S3 client for the bucket, with its own credentials only (never the server's)."""
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    if bucket.endpoint_url:
        try:
            check_target(bucket.endpoint_url)
        except OutboundRefused as refusal:
            raise BucketUnavailable(f"The endpoint is refused: {refusal}") from None
    signing: dict[str, Any] = {} if bucket.access_key_id else {"signature_version": UNSIGNED}
    config = Config(connect_timeout=10, read_timeout=30, retries={"max_attempts": 2}, **signing)
    session = boto3.session.Session(
        aws_access_key_id=bucket.access_key_id or None,
        aws_secret_access_key=bucket.secret_access_key or None,
    )
    return session.client(
        "s3",
        endpoint_url=bucket.endpoint_url or None,
        region_name=bucket.region or "us-east-1",
        config=config,
    )


def _object_opener(client: Any, bucket_name: str, key: str, size: int) -> Opener:
    def open_object() -> AbstractContextManager[IO[bytes]]:
        limit = settings.IMPORT_MAX_FILE_BYTES
        if size > limit:
            raise SourceUnavailable(
                f"The file is {size / 1024**2:.1f} MB; the limit for one image is "
                f"{limit / 1024**2:.1f} MB."
            )
        try:
            body = client.get_object(Bucket=bucket_name, Key=key)["Body"]
            data = body.read(limit + 1)
            body.close()
        except Exception as error:  # botocore's errors share no base class
            raise SourceUnavailable(f"The object cannot be read: {describe_error(error)}") from None
        if len(data) > limit:
            raise SourceUnavailable("The object is larger than the listing said; skipped.")
        return _stream(data)

    return open_object


def describe_error(error: BaseException) -> str:
    """A botocore error as a sentence: its code and message, which carry no secret."""
    response = getattr(error, "response", None)
    if isinstance(response, dict) and "Error" in response:
        details = response["Error"]
        code, message = details.get("Code", ""), details.get("Message", "")
        hint = {
            "NoSuchBucket": "there is no such bucket",
            "NoSuchKey": "the object is no longer in the bucket",
            "AccessDenied": "access denied; check the access key",
            "InvalidAccessKeyId": "the access key is not known to the server",
            "SignatureDoesNotMatch": "the secret key is wrong",
            "404": "there is no such bucket",
            "403": "access denied; check the access key",
        }.get(str(code), message or str(code))
        return f"{hint} ({code})."
    return f"{error}."


def _stream(data: bytes) -> AbstractContextManager[IO[bytes]]:
    return cast(AbstractContextManager[IO[bytes]], io.BytesIO(data))
