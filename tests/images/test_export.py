"""CSV, JSON and ImageNet-zip exports, with the current classifier's predictions."""

import csv
import io
import json
import zipfile

import pytest
from django.test import Client
from django.urls import reverse

from labelapp.images.export import csv_lines, imagenet_zip_chunks, json_chunks
from labelapp.images.labeling import accept_predictions
from labelapp.images.models import Image
from labelapp.learning.models import ModelKind, ModelVersion, Prediction


@pytest.fixture
def predicted(project, classes, three_images):
    """red labeled cat; the classifier predicts dog for green (0.7) and none for blue."""
    red, green, _ = three_images
    Image.objects.filter(pk=red.pk).update(current_label=classes["cat"])
    version = ModelVersion.objects.create(project=project, kind=ModelKind.CLASSIFIER, number=2)
    probabilities = {str(classes["cat"].pk): 0.3, str(classes["dog"].pk): 0.7}
    Prediction.objects.create(
        image=green,
        model_version=version,
        probabilities=probabilities,
        predicted_class=classes["dog"],
        confidence=0.7,
        margin=0.4,
        entropy=0.61,
    )
    project.current_classifier = version
    project.save()
    return version


def read_csv(project) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO("".join(csv_lines(project)))))


def test_csv_has_a_column_per_class_probability(project, predicted):
    header = next(csv.reader(io.StringIO("".join(csv_lines(project)))))

    assert header == [
        "image_id", "original_name", "content_hash", "width", "height", "label", "label_source",
        "predicted_label", "confidence", "model_version_number",
        "probability:cat", "probability:dog",
    ]  # fmt: skip


def test_csv_rows_carry_labels_and_predictions(project, predicted, three_images):
    red, green, blue = read_csv(project)

    assert (red["original_name"], red["label"], red["predicted_label"]) == ("red.png", "cat", "")
    assert green["predicted_label"] == "dog"
    assert (green["confidence"], green["model_version_number"]) == ("0.700000", "2")
    assert (green["probability:cat"], green["probability:dog"]) == ("0.300000", "0.700000")
    assert blue["label"] == blue["predicted_label"] == ""
    assert red["content_hash"] == three_images[0].content_hash


def test_each_label_says_who_gave_it(project, predicted, owner):
    # given red labeled by a person (no history row) and green's prediction accepted
    accept_predictions(project, owner, 0.5)
    red, green, blue = read_csv(project)
    # then the export tells the accepted prediction, which nobody checked, from the others
    assert [row["label_source"] for row in (red, green, blue)] == ["person", "prediction", ""]
    exported = json.loads("".join(json_chunks(project)))["images"]
    assert [image["label_source"] for image in exported] == ["person", "prediction", None]


def test_predictions_of_older_classifiers_are_not_exported(project, predicted, classes):
    newer = ModelVersion.objects.create(project=project, kind=ModelKind.CLASSIFIER, number=3)
    project.current_classifier = newer
    project.save()

    assert [row["predicted_label"] for row in read_csv(project)] == ["", "", ""]


def test_names_that_spreadsheets_would_run_are_quoted(project, three_images):
    Image.objects.filter(pk=three_images[0].pk).update(original_name="=HYPERLINK(1)")

    assert read_csv(project)[0]["original_name"] == "'=HYPERLINK(1)"


def test_json_export_names_classes_and_model_version(project, predicted):
    exported = json.loads("".join(json_chunks(project)))

    assert exported["model_version"] == {"id": predicted.pk, "number": 2}
    assert [c["name"] for c in exported["classes"]] == ["cat", "dog"]
    green = exported["images"][1]
    assert green["prediction"]["probabilities"] == {"cat": 0.3, "dog": 0.7}
    # the id and the number, as the header has them
    prediction = green["prediction"]
    assert (prediction["model_version_id"], prediction["model_version_number"]) == (predicted.pk, 2)
    assert exported["images"][0]["label"] == "cat"
    assert exported["images"][2]["prediction"] is None


def test_imagenet_zip_has_one_folder_per_class(project, predicted, three_images):
    data = b"".join(imagenet_zip_chunks(project))

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == [f"cat/{three_images[0].pk}-red.png"]
        assert archive.testzip() is None


def test_viewer_downloads_the_csv(client: Client, viewer, project, predicted):
    client.force_login(viewer)

    response = client.get(reverse("project-export-csv", args=[project.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="pets-{project.pk}-labels.csv"'
    assert b"".join(response.streaming_content).startswith(b"image_id,")


def test_stranger_cannot_download_an_export(client: Client, stranger, project):
    client.force_login(stranger)

    for name in ("project-export-csv", "project-export-json", "project-export-zip"):
        assert client.get(reverse(name, args=[project.pk])).status_code == 404


def test_class_names_unusable_as_folders_get_distinct_safe_folders(project, three_images):
    from labelapp.projects.models import LabelClass

    question = LabelClass.objects.create(project=project, name="?")
    first = LabelClass.objects.create(project=project, name="a?")
    second = LabelClass.objects.create(project=project, name="a!")
    red, green, blue = three_images
    for image, label_class in ((red, question), (green, first), (blue, second)):
        Image.objects.filter(pk=image.pk).update(current_label=label_class)

    with zipfile.ZipFile(io.BytesIO(b"".join(imagenet_zip_chunks(project)))) as archive:
        folders = [name.split("/")[0] for name in archive.namelist()]

    assert folders == [f"class-{question.pk}", "a", f"a-{second.pk}"]
