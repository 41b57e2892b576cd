"""Each kind of bad file gets its own message, and the good files beside it are kept."""

import io

import pytest
from PIL import Image as PillowImage

from labelapp.images.models import Image
from labelapp.images.uploads import UploadRejected, receive_upload
from labelapp.jobs.models import Job
from tests.images.conftest import picture_bytes, report_by_name, upload_and_import, uploaded

GOOD = picture_bytes((10, 200, 10))


def upload_with_good_file(project, owner, name: str, data: bytes):
    batch = upload_and_import(project, owner, [uploaded("good.png", GOOD), uploaded(name, data)])
    return report_by_name(batch), batch


def assert_only_good_file_kept(project) -> None:
    assert list(Image.objects.filter(project=project).values_list("original_name", flat=True)) == [
        "good.png"
    ]


def test_text_file_is_not_an_image(project, owner):
    report, _ = upload_with_good_file(project, owner, "notes.jpg", b"just some words\n" * 20)

    assert report["notes.jpg"]["status"] == "rejected"
    assert "not an image we can read" in report["notes.jpg"]["message"]
    assert report["good.png"]["status"] == "added"
    assert_only_good_file_kept(project)


@pytest.mark.parametrize(
    "name, data",
    [
        ("vector.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("page.jpg", b"<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>"),
    ],
)
def test_svg_and_html_disguised_as_images_are_refused(project, owner, name, data):
    report, _ = upload_with_good_file(project, owner, name, data)

    assert report[name]["status"] == "rejected"
    assert "not an image we can read" in report[name]["message"]
    assert_only_good_file_kept(project)


def test_truncated_jpeg_is_refused(project, owner):
    whole = picture_bytes((1, 2, 3), size=(64, 64), image_format="JPEG")

    report, _ = upload_with_good_file(project, owner, "cut.jpg", whole[: len(whole) // 2])

    assert report["cut.jpg"]["status"] == "rejected"
    assert "damaged or incomplete" in report["cut.jpg"]["message"]
    assert_only_good_file_kept(project)


def test_png_with_corrupt_data_is_refused(project, owner):
    data = bytearray(picture_bytes((9, 9, 9), size=(50, 50)))
    middle = len(data) // 2
    data[middle : middle + 8] = b"\xff" * 8

    report, _ = upload_with_good_file(project, owner, "broken.png", bytes(data))

    assert report["broken.png"]["status"] == "rejected"
    assert "damaged or incomplete" in report["broken.png"]["message"]


def test_decompression_bomb_is_refused_from_its_header(project, owner):
    buffer = io.BytesIO()
    PillowImage.new("1", (10_000, 10_000)).save(buffer, "PNG")  # 100 megapixels, ~12 kB
    report, _ = upload_with_good_file(project, owner, "bomb.png", buffer.getvalue())

    assert report["bomb.png"]["status"] == "rejected"
    assert "too many pixels" in report["bomb.png"]["message"]
    assert "the limit is 50 megapixels" in report["bomb.png"]["message"]
    assert_only_good_file_kept(project)


def test_image_over_the_pixel_limit_is_refused_with_its_size(project, owner, settings):
    settings.IMPORT_MAX_PIXELS = 1300  # the good file has 1200

    report, _ = upload_with_good_file(project, owner, "wide.png", picture_bytes(size=(50, 30)))

    assert report["wide.png"]["message"] == (
        "The image has too many pixels: 50 x 30 = 0.0015 megapixels; "
        "the limit is 0.0013 megapixels."
    )


def test_empty_file_is_refused_at_upload(project, owner):
    report, _ = upload_with_good_file(project, owner, "empty.png", b"")

    assert report["empty.png"] == {
        "name": "empty.png",
        "status": "rejected",
        "message": "The file is empty.",
    }
    assert_only_good_file_kept(project)


def test_file_over_the_size_limit_is_refused_at_upload(project, owner, settings):
    settings.IMPORT_MAX_FILE_BYTES = len(GOOD) + 10
    large = picture_bytes((5, 5, 5), size=(300, 300), image_format="BMP")

    report, _ = upload_with_good_file(project, owner, "large.bmp", large)

    assert report["large.bmp"]["status"] == "rejected"
    assert "the limit for one image is" in report["large.bmp"]["message"]
    assert_only_good_file_kept(project)


def test_upload_with_nothing_acceptable_leaves_no_trace(project, owner):
    with pytest.raises(UploadRejected) as refusal:
        receive_upload(project, owner, [uploaded("a.png", b""), uploaded("b.png", b"")])

    assert str(refusal.value).startswith("None of the files can be imported. a.png: The file is")

    assert not project.upload_batches.exists()
    assert not Job.objects.exists()


def test_upload_with_no_files_is_refused(project, owner):
    with pytest.raises(UploadRejected, match="No files were received"):
        receive_upload(project, owner, [])


def test_counts_match_the_report(project, owner):
    _, batch = upload_with_good_file(project, owner, "notes.jpg", b"words")

    assert (batch.added, batch.duplicates, batch.rejected) == (1, 0, 1)


def test_file_name_without_usable_characters_is_still_staged(project, owner):
    batch = upload_and_import(project, owner, [uploaded("??", GOOD)])

    assert batch.added == 1
    assert batch.staged_files[0]["path"] == f"uploads/{batch.pk}/0-file"


def test_refusals_at_upload_are_reported_before_the_import_runs(project, owner):
    batch = receive_upload(project, owner, [uploaded("good.png", GOOD), uploaded("empty.png", b"")])

    assert batch.report == [
        {"name": "empty.png", "status": "rejected", "message": "The file is empty."}
    ]
    assert batch.rejected == 1
