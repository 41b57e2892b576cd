"""Labels read from CSV: validated row by row, applied in one transaction, round-trippable."""

import io

import pytest

from labelapp.images.export import csv_lines
from labelapp.images.label_import import LabelFileRejected, import_labels
from labelapp.images.models import Image, Label, LabelSource


def csv_file(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode("utf-8"))


def test_labels_by_original_name_are_applied_with_history(project, owner, classes, three_images):
    report = import_labels(
        project, owner, csv_file("original_name,label\nred.png,cat\nblue.png,dog\n")
    )

    assert (report.applied, report.problems) == (2, [])
    red = Image.objects.get(original_name="red.png")
    assert (red.current_label, red.label_version) == (classes["cat"], 1)
    label = Label.objects.get(image=red)
    assert (label.source, label.user) == (LabelSource.IMPORT, owner)


def test_unknown_images_and_classes_are_reported_by_row(project, owner, classes, three_images):
    red, green = three_images[0].pk, three_images[1].pk
    text = f"image_id,label\n999999,cat\n{red},horse\n{green},dog\n"

    report = import_labels(project, owner, csv_file(text))

    assert report.problems == [
        {"row": 2, "message": "No image in this project has id '999999'."},
        {"row": 3, "message": "There is no class named 'horse'."},
    ]
    assert report.applied == 1


def test_rows_missing_a_field_are_reported_by_their_line_blank_lines_counted(
    project, owner, classes, three_images
):
    text = "original_name,label\nred.png,cat\n\nblue.png\ngreen.png,\nnone.png,dog\n"

    report = import_labels(project, owner, csv_file(text))

    assert report.problems == [
        {"row": 4, "message": "This row has 1 of the header's 2 fields: a missing comma?"},
        {"row": 6, "message": "No image in this project has name 'none.png'."},
    ]
    assert (report.applied, report.skipped, report.problem_count) == (1, 1, 2)


def test_content_hash_identifies_the_image(project, owner, classes, three_images):
    green = three_images[1]

    import_labels(project, owner, csv_file(f"sha256,label\n{green.content_hash.upper()},dog\n"))

    green.refresh_from_db()
    assert green.current_label == classes["dog"]


def test_same_label_again_adds_no_history(project, owner, classes, three_images):
    import_labels(project, owner, csv_file("name,label\nred.png,cat\n"))

    report = import_labels(project, owner, csv_file("name,label\nred.png,cat\n"))

    assert (report.applied, report.unchanged) == (0, 1)
    assert Label.objects.count() == 1


def test_export_then_import_round_trips(project, owner, classes, three_images):
    import_labels(project, owner, csv_file("name,label\nred.png,cat\ngreen.jpg,dog\n"))
    exported = "".join(csv_lines(project))
    Image.objects.update(current_label=None)

    report = import_labels(project, owner, csv_file(exported))

    assert (report.applied, report.skipped, report.problems) == (2, 1, [])
    labels = dict(Image.objects.values_list("original_name", "current_label__name"))
    assert labels == {"red.png": "cat", "green.jpg": "dog", "blue.png": None}


def test_image_listed_twice_uses_the_first_row(project, owner, classes, three_images):
    report = import_labels(project, owner, csv_file("name,label\nred.png,cat\nred.png,dog\n"))

    assert report.problems == [
        {"row": 3, "message": "This image has a label earlier in the list (at 2); ignored."}
    ]
    assert Image.objects.get(original_name="red.png").current_label == classes["cat"]


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "The file is empty."),
        (b"\xff\xfe\x00l\x00a", "This is not a CSV text file."),
        (b"caf\xe9,label\n", "The file is not UTF-8 text"),
        (b"colour,size\nred,3\n", "The first row must name a label column"),
    ],
)
def test_unreadable_files_are_refused_whole(project, owner, classes, data, message):
    with pytest.raises(LabelFileRejected) as refusal:
        import_labels(project, owner, io.BytesIO(data))

    assert str(refusal.value).startswith(message)
    assert not Label.objects.exists()
