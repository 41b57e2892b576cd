"""Downloading the current classifier: its files as stored, its model card (JSON and
Markdown), the links on the dashboard, and a clear answer when there is nothing to download."""

import json

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from labelapp.learning.model_export import NoExport, export_file, prune_exports
from labelapp.learning.models import ModelKind, ModelVersion
from tests.web.people import Team

METRICS = {
    "method": "label_propagation", "labels": 12, "scored_labels": 10, "folds": 5,
    "accuracy": 0.5, "per_class_accuracy": [1.0, 0.25, None],
    "confusion_matrix": [[4, 0, 0], [3, 1, 0], [0, 0, 0]], "expected_calibration_error": 0.1,
    "expected_accuracy": 0.8,
}  # fmt: skip
STAND_IN_QUALITY = {
    "accuracy": 0.6, "per_class_accuracy": [0.75, 0.5, None],
    "confusion_matrix": [[3, 1, 0], [2, 2, 0], [0, 0, 0]], "expected_calibration_error": 0.2,
}  # fmt: skip


@pytest.fixture
def exported(team: Team) -> ModelVersion:
    names = {
        fmt: default_storage.save(
            f"models/exports/test-{fmt}", ContentFile(f"{fmt} bytes".encode())
        )
        for fmt in ("onnx", "torchscript")
    }
    classes = team.classes
    export = {
        "method": "linear_probe", "stand_in_for": "label_propagation", "quality": STAND_IN_QUALITY,
        "image_size": 224, "normalization_mean": [0.5] * 3, "normalization_std": [0.5] * 3,
        "architecture": "efficientnet_lite0", "temperature": 0.7, "files": names,
    }  # fmt: skip
    version = ModelVersion.objects.create(
        project=team.project, kind=ModelKind.CLASSIFIER, number=3, metrics=METRICS,
        config={"method": "label_propagation", "classes": [c.pk for c in classes],
                "class_names": [c.name for c in classes], "export": export},
    )  # fmt: skip
    team.project.current_classifier = version
    team.project.save()
    yield version
    for name in names.values():
        default_storage.delete(name)


def download(client: Client, team: Team, file_name: str):
    return client.get(reverse("api-1:download_model", args=[team.project.pk, file_name]))


def test_the_files_are_served_as_stored(client: Client, team: Team, exported) -> None:
    client.force_login(team.viewer)

    response = download(client, team, "classifier.onnx")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"onnx bytes"
    assert 'filename="pets-' in response["Content-Disposition"]
    assert response["Content-Disposition"].endswith('-v3-classifier.onnx"')


def test_the_card_describes_input_classes_and_the_stand_in(client, team, exported) -> None:
    client.force_login(team.viewer)

    card = json.loads(download(client, team, "model-card.json").content)

    assert card["classes"] == ["cat", "dog", "bird"]
    assert card["input"]["shape"] == ["batch", 3, 224, 224]
    assert card["input"]["normalization_mean"] == [0.5] * 3
    assert (card["method"], card["stand_in_for"]) == ("linear_probe", "label_propagation")
    assert card["evaluation"]["per_class_accuracy"] == {"cat": 0.75, "dog": 0.5, "bird": None}
    assert card["evaluation"]["temperature"] == 0.7
    # the stand-in's accuracy on unlabeled images was not estimated: not label propagation's
    assert card["evaluation"]["expected_accuracy_on_unlabeled_images"] is None
    assert card["training"]["scored_labels_per_class"] == {"cat": 4, "dog": 4, "bird": 0}
    assert (card["training"]["labels"], card["training"]["labels_given_by_people"]) == (12, 10)
    assert card["created_at"] == exported.created_at.isoformat()


def test_the_markdown_card_has_a_row_per_class(client, team, exported) -> None:
    client.force_login(team.viewer)

    text = download(client, team, "model-card.md").content.decode()

    assert "| cat | 4 | 75.0% |" in text and "| bird | 0 | — |" in text
    assert "the labels of a class may be no sample of it" in text
    assert "label propagation" in text and "224 x 224" in text


def test_the_card_of_an_exported_method_gives_its_expected_accuracy(client, team, exported) -> None:
    export = exported.config["export"]
    exported.config["export"] = {**export, "method": "label_propagation", "quality": None}
    exported.config["export"].pop("stand_in_for")
    exported.save()
    client.force_login(team.viewer)

    card = json.loads(download(client, team, "model-card.json").content)
    text = download(client, team, "model-card.md").content.decode()

    assert card["evaluation"]["expected_accuracy_on_unlabeled_images"] == 0.8
    assert "predictions), from calibrated confidence: 80.0%" in text
    assert "images no person labeled (unlabeled ones and accepted" in text


def test_the_dashboard_links_the_downloads(client, team, exported) -> None:
    client.force_login(team.viewer)

    page = client.get(reverse("project-dashboard", args=[team.project.pk])).content.decode()

    assert reverse("api-1:download_model", args=[team.project.pk, "classifier.onnx"]) in page
    assert "label propagation cannot be exported" in page


def test_a_failed_export_is_explained(client, team, exported) -> None:
    exported.config["export"] = {"error": "RuntimeError: out of memory"}
    exported.save()
    client.force_login(team.viewer)

    response = download(client, team, "model-card.json")

    assert response.status_code == 409
    assert "out of memory" in response.json()["detail"]


def test_without_a_classifier_there_is_nothing_to_download(client, team) -> None:
    client.force_login(team.viewer)

    response = download(client, team, "classifier.torchscript.pt")

    assert response.status_code == 409
    assert "no classifier yet" in response.json()["detail"]


def test_only_the_current_and_newest_classifiers_keep_their_files(
    team: Team, exported, django_capture_on_commit_callbacks
) -> None:
    def version_with_files(number: int) -> ModelVersion:
        name = default_storage.save(f"models/exports/v{number}.onnx", ContentFile(b"x"))
        export = {**exported.config["export"], "files": {"onnx": name}}
        return ModelVersion.objects.create(
            project=team.project, kind=ModelKind.CLASSIFIER, number=number,
            config={**exported.config, "export": export},
        )  # fmt: skip

    older, newest = version_with_files(4), version_with_files(5)  # exported (v3) is current
    older_file = older.config["export"]["files"]["onnx"]

    with django_capture_on_commit_callbacks(execute=True):
        prune_exports(newest)

    older.refresh_from_db()
    with pytest.raises(NoExport, match="deleted when newer classifiers were trained"):
        export_file(older, "onnx")
    assert not default_storage.exists(older_file)
    assert export_file(newest, "onnx") and export_file(exported, "onnx")
    default_storage.delete(newest.config["export"]["files"]["onnx"])
