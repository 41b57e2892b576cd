"""Whatever its mode, a picture is stored as upright 8-bit RGB, with a small thumbnail."""

import io

import numpy
from django.core.files.storage import default_storage
from PIL import Image as PillowImage

from labelapp.images.decoding import square_pixels
from labelapp.images.models import Image
from tests.images.conftest import upload_and_import, uploaded


def import_one(project, owner, name: str, data: bytes) -> Image:
    batch = upload_and_import(project, owner, [uploaded(name, data)])
    assert batch.added == 1, batch.report
    return Image.objects.get(project=project)


def stored_picture(image: Image) -> PillowImage.Image:
    with default_storage.open(image.file.name, "rb") as stored:
        picture = PillowImage.open(io.BytesIO(stored.read()))
        picture.load()
    return picture


def encoded(picture: PillowImage.Image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, image_format, **options)
    return buffer.getvalue()


def test_cmyk_jpeg_becomes_rgb(project, owner):
    cmyk = PillowImage.new("CMYK", (40, 20), (0, 255, 255, 0))  # red in CMYK

    image = import_one(project, owner, "cmyk.jpg", encoded(cmyk, "JPEG", quality=95))

    picture = stored_picture(image)
    assert (picture.mode, picture.size, image.format) == ("RGB", (40, 20), "JPEG")
    red, green, blue = picture.getpixel((20, 10))
    assert red > 200 and green < 60 and blue < 60


def test_sixteen_bit_greyscale_is_scaled_not_clipped(project, owner):
    values = numpy.full((10, 12), 32768, dtype=numpy.uint16)  # half of the 16-bit range
    sixteen_bit = PillowImage.fromarray(values)
    assert sixteen_bit.mode == "I;16"

    image = import_one(project, owner, "depth.png", encoded(sixteen_bit, "PNG"))

    picture = stored_picture(image)
    assert (picture.mode, picture.size) == ("RGB", (12, 10))
    assert picture.getpixel((0, 0)) == (128, 128, 128)


def test_palette_with_transparency_is_composited_on_white(project, owner):
    palette = PillowImage.new("P", (8, 8), 0)
    palette.putpalette([0, 0, 255] + [0, 0, 0] * 255)
    palette.info["transparency"] = 0

    image = import_one(project, owner, "see-through.gif", encoded(palette, "GIF", transparency=0))

    assert stored_picture(image).getpixel((3, 3)) == (255, 255, 255)
    assert image.format == "PNG"


def test_half_transparent_rgba_is_blended_with_white(project, owner):
    rgba = PillowImage.new("RGBA", (6, 4), (0, 0, 0, 128))

    image = import_one(project, owner, "shadow.png", encoded(rgba, "PNG"))

    assert stored_picture(image).getpixel((0, 0)) == (127, 127, 127)


def test_greyscale_with_alpha_becomes_rgb(project, owner):
    image = import_one(
        project, owner, "la.png", encoded(PillowImage.new("LA", (5, 5), (0, 255)), "PNG")
    )

    assert stored_picture(image).getpixel((0, 0)) == (0, 0, 0)


def test_exif_orientation_is_applied(project, owner):
    landscape = PillowImage.new("RGB", (60, 20), (200, 0, 0))
    landscape.paste((0, 0, 200), (0, 0, 10, 20))  # a blue band on the left
    exif = PillowImage.Exif()
    exif[0x0112] = 6  # "rotate 90 clockwise to display"

    image = import_one(
        project, owner, "phone.jpg", encoded(landscape, "JPEG", exif=exif, quality=95)
    )

    picture = stored_picture(image)
    assert (image.width, image.height) == (20, 60) == picture.size
    red, _, blue = picture.getpixel((10, 3))  # the band is now at the top
    assert blue > 150 and red < 60


def test_upright_rgb_jpeg_is_stored_unchanged(project, owner):
    data = encoded(PillowImage.new("RGB", (30, 30), (1, 2, 3)), "JPEG")

    image = import_one(project, owner, "plain.jpg", data)

    with default_storage.open(image.file.name, "rb") as stored:
        assert stored.read() == data


def test_thumbnail_is_a_small_jpeg_keeping_the_aspect_ratio(project, owner, settings):
    settings.THUMBNAIL_PIXELS = 64

    image = import_one(
        project, owner, "wide.png", encoded(PillowImage.new("RGB", (400, 100)), "PNG")
    )

    with default_storage.open(image.thumbnail.name, "rb") as stored:
        thumbnail = PillowImage.open(io.BytesIO(stored.read()))
        assert (thumbnail.format, thumbnail.size) == ("JPEG", (64, 16))


def test_thumbnail_of_a_small_picture_is_not_enlarged(project, owner):
    image = import_one(project, owner, "tiny.png", encoded(PillowImage.new("RGB", (40, 30)), "PNG"))

    with default_storage.open(image.thumbnail.name, "rb") as stored:
        assert PillowImage.open(io.BytesIO(stored.read())).size == (40, 30)


def test_a_large_jpeg_is_decoded_at_the_smallest_scale_that_covers_the_square() -> None:
    rows, columns = numpy.mgrid[0:1800, 0:2400]
    pixels = numpy.stack([rows % 256, columns % 256, (rows + columns) // 17 % 256], axis=-1)
    buffer = io.BytesIO()
    PillowImage.fromarray(pixels.astype(numpy.uint8)).save(buffer, "JPEG", quality=90)
    with PillowImage.open(buffer) as picture:
        reduced = square_pixels(picture, 224)
        assert picture.size == (300, 225)  # 1/8 of 2400 x 1800: both sides still >= 224
    with PillowImage.open(buffer) as picture:
        picture.load()  # decoded in full first: nothing left to scale
        full = square_pixels(picture, 224)
        assert picture.size == (2400, 1800)
    assert reduced.shape == full.shape == (3, 224, 224)
    assert numpy.abs(reduced.astype(float) - full).mean() < 4
