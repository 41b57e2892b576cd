"""Decide whether some bytes are a picture we accept, and bring it to upright 8-bit RGB.

Validation is by decoding, never by file name: only the formats in ``ACCEPTED_FORMATS`` are
parsed at all (so SVG, HTML, EPS and friends never reach a decoder), the pixel count is
checked from the header before any pixel is decoded, and the whole image is then loaded so
that a truncated or corrupt file is caught here rather than in training.
"""

import io
import warnings
from dataclasses import dataclass

import numpy
from PIL import Image as PillowImage
from PIL import ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")  # JPEG covers MPO too
# Formats whose bytes we keep as they are when the picture is already upright RGB.
KEPT_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
EXIF_ORIENTATION_TAG = 0x0112
WHITE = (255, 255, 255)


class ImageRejected(Exception):
    """The bytes are not an image we accept; ``str(error)`` is a message for a person."""


@dataclass(frozen=True)
class DecodedImage:
    """An accepted picture: the bytes to store and what we know about them."""

    stored_bytes: bytes
    extension: str  # of the stored bytes: "jpg", "png" or "webp"
    format: str  # of the stored bytes: "JPEG", "PNG" or "WEBP"
    width: int
    height: int
    thumbnail_bytes: bytes  # JPEG, at most ``thumbnail_pixels`` on its longer side


def decode_image(data: bytes, max_pixels: int, thumbnail_pixels: int) -> DecodedImage:
    """Validate ``data`` and return the normalised picture and its thumbnail.

    Raises ImageRejected for empty, unreadable, truncated, oversized (in pixels) or
    unsupported files.
    """
    if not data:
        raise ImageRejected("The file is empty.")
    with warnings.catch_warnings():
        # Pillow's own bomb check only warns below twice its limit; ours is stricter anyway.
        warnings.simplefilter("error", PillowImage.DecompressionBombWarning)
        picture = _open_checked(data, max_pixels)
        source_format = picture.format or ""
        try:
            upright = _upright(picture)
            rgb = _to_rgb(upright)
        except Exception:
            raise ImageRejected("The image's pixels cannot be converted to RGB.") from None
    keep_original = source_format in KEPT_FORMATS and picture.mode == "RGB" and upright is picture
    if keep_original:
        stored, stored_format = data, source_format
    else:
        stored_format = "JPEG" if source_format in ("JPEG", "MPO") else "PNG"
        stored = _encode(rgb, stored_format)
    return DecodedImage(
        stored_bytes=stored,
        extension=KEPT_FORMATS[stored_format],
        format=stored_format,
        width=rgb.width,
        height=rgb.height,
        thumbnail_bytes=_thumbnail(rgb, thumbnail_pixels),
    )


def _open_checked(data: bytes, max_pixels: int) -> PillowImage.Image:
    try:
        with PillowImage.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as probe:
            _check_pixels(probe.width, probe.height, max_pixels)
            probe.verify()  # checksums and structure, without decoding pixels
        picture = PillowImage.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
        picture.load()  # decodes every pixel: truncated or corrupt data fails here
    except ImageRejected:
        raise
    except UnidentifiedImageError:
        raise ImageRejected(
            "This is not an image we can read (accepted: JPEG, PNG, WebP, GIF, BMP, TIFF)."
        ) from None
    except (PillowImage.DecompressionBombError, PillowImage.DecompressionBombWarning):
        raise ImageRejected(
            f"The image has too many pixels (the limit is {max_pixels / 1e6:g} megapixels)."
        ) from None
    except Exception:  # decoders of untrusted bytes raise all sorts of things
        raise ImageRejected("The image is damaged or incomplete and cannot be decoded.") from None
    return picture


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width <= 0 or height <= 0:
        raise ImageRejected("The image has no pixels.")
    if width * height > max_pixels:
        raise ImageRejected(
            f"The image has too many pixels: {width} x {height} = "
            f"{width * height / 1e6:.3g} megapixels; the limit is {max_pixels / 1e6:g} megapixels."
        )


def _upright(picture: PillowImage.Image) -> PillowImage.Image:
    """Apply the EXIF orientation; returns the same object when there is nothing to do."""
    try:
        orientation = picture.getexif().get(EXIF_ORIENTATION_TAG, 1)
    except Exception:  # unreadable EXIF is not a reason to refuse the picture
        return picture
    if orientation in (None, 1):
        return picture
    try:
        return ImageOps.exif_transpose(picture)
    except Exception:
        return picture


def _to_rgb(picture: PillowImage.Image) -> PillowImage.Image:
    """8-bit RGB: 16-bit values scaled (not clipped), transparency composited on white."""
    mode = picture.mode
    if mode == "RGB":
        return picture
    if mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        return _scale_to_8_bits(picture).convert("RGB")
    if mode == "P":
        palette_mode = picture.palette.mode if picture.palette else "RGB"
        has_alpha = "transparency" in picture.info or palette_mode == "RGBA"
        picture = picture.convert("RGBA" if has_alpha else "RGB")
        mode = picture.mode
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = picture.convert("RGBA")
        background = PillowImage.new("RGB", rgba.size, WHITE)
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return picture.convert("RGB")


def _scale_to_8_bits(picture: PillowImage.Image) -> PillowImage.Image:
    values = numpy.asarray(picture)
    if picture.mode == "F":
        top = max(float(values.max(initial=0)), 1.0)
        scaled = numpy.clip(values * (255.0 / top), 0, 255).astype(numpy.uint8)
    elif picture.mode == "I" and values.max(initial=0) <= 255:
        scaled = numpy.clip(values, 0, 255).astype(numpy.uint8)
    else:  # 16-bit samples: keep the top byte
        scaled = (numpy.clip(values, 0, 65535).astype(numpy.uint16) >> 8).astype(numpy.uint8)
    return PillowImage.fromarray(scaled)  # uint8, two dimensions: mode "L"


def _encode(picture: PillowImage.Image, image_format: str) -> bytes:
    buffer = io.BytesIO()
    if image_format == "JPEG":
        picture.save(buffer, "JPEG", quality=95)
    else:
        picture.save(buffer, "PNG", compress_level=6)
    return buffer.getvalue()


def _thumbnail(picture: PillowImage.Image, thumbnail_pixels: int) -> bytes:
    scale = min(1.0, thumbnail_pixels / max(picture.width, picture.height))
    size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    # resize() returns a new image, so no full-size copy is made; small images stay small.
    small = picture.resize(size, PillowImage.Resampling.LANCZOS, reducing_gap=3.0)
    buffer = io.BytesIO()
    small.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def square_pixels(picture: PillowImage.Image, size: int) -> numpy.ndarray:
    """The centre square of a picture at ``size`` px: (3, size, size) uint8, as models see it.

    A JPEG not yet loaded is decoded at the smallest of 1/2, 1/4 or 1/8 of its size that still
    covers ``size`` on both sides (libjpeg scales while decoding): a 12-megapixel phone photo
    takes 9.4 ms instead of 89 ms, and its 224 px square changes by 0.16 of 255 on average
    (benchmarks/embed_speed.py)."""
    picture.draft("RGB", (size, size))
    square = ImageOps.fit(picture.convert("RGB"), (size, size), PillowImage.Resampling.BICUBIC)
    return numpy.asarray(square, dtype=numpy.uint8).transpose(2, 0, 1)
