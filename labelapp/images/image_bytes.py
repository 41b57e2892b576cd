"""A picture's bytes, wherever they live: the media storage, or the bucket it was left in.

Everything that reads a picture (the image view, the training cache, the exports, the
backup) goes through ``open_image``, so a reference import (labelapp/images/remote_sources.py)
needs no special case anywhere else::

    with open_image(image) as stream:
        data = stream.read()

Either way the bytes are the picture as the importer accepted it (JPEG, PNG or WebP, upright
RGB): a reference import only leaves an object in its bucket when it needed no conversion,
and the content hash taken at import is checked on every read, so an object changed since
then is refused rather than shown or trained on under an old label.
"""

import hashlib
import io
from typing import IO, cast

from django.core.files.storage import default_storage

from labelapp.images.decoding import KEPT_FORMATS
from labelapp.images.models import Image
from labelapp.images.remote_sources import BucketUnavailable, cached_bucket_client, describe_error


class ImageUnavailable(ValueError):
    """The picture cannot be read now (its bucket is unreachable); ``str(error)`` names the
    image and the cause, never a secret."""


class ImageGone(ImageUnavailable):
    """The picture's bytes are gone or changed: its file or object is missing, or altered."""


def open_image(image: Image) -> IO[bytes]:
    """A binary stream of the picture; the caller closes it. Raises ImageUnavailable.

    Callers that read many pictures should fetch ``bucket_source`` with the images
    (``select_related``), or each reference costs a query.
    """
    if image.bucket_source_id is not None:
        return io.BytesIO(_read_object(image))
    if not image.file.name:
        raise ImageGone(f"{describe_image(image)} has no stored file.")
    try:
        return cast(IO[bytes], default_storage.open(image.file.name, "rb"))
    except FileNotFoundError:
        raise ImageGone(f"{describe_image(image)}: its file is missing from storage.") from None


def stored_extension(image: Image) -> str:
    """The picture's file extension: "jpg", "png" or "webp"."""
    if image.file.name:
        return image.file.name.rsplit(".", 1)[-1]
    return KEPT_FORMATS.get(image.format, "bin")


def describe_image(image: Image) -> str:
    return f"Image {image.pk} ({image.original_name})"


def _read_object(image: Image) -> bytes:
    source = image.bucket_source
    assert source is not None  # checked by the caller
    where = f"s3://{source.bucket}/{image.object_key}"
    try:
        client = cached_bucket_client(source)
        body = client.get_object(Bucket=source.bucket, Key=image.object_key)["Body"]
        expected = image.object_size or 0
        data: bytes = body.read(expected + 1)
        body.close()
    except BucketUnavailable as error:
        raise ImageUnavailable(f"{describe_image(image)} cannot be read: {error}") from None
    except Exception as error:  # botocore's errors share no base class
        cause = describe_error(error)
        problem = ImageGone if "NoSuchKey" in cause or "NoSuchBucket" in cause else ImageUnavailable
        raise problem(f"{describe_image(image)} cannot be read from {where}: {cause}") from None
    if len(data) != expected or hashlib.sha256(data).hexdigest() != image.content_hash:
        raise ImageGone(
            f"{describe_image(image)}: {where} has changed since it was imported; "
            "restore the object or delete the image."
        )
    return data
