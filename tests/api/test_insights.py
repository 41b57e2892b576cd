"""The insights and the label queue's strategy as REST endpoints: the same numbers as the
pages, typed in the OpenAPI document, and refused to people outside the project."""

import numpy as np
import pytest
from django.test import Client

from labelapp.api.api import api
from labelapp.images.models import Image
from labelapp.learning.models import QueueItem
from tests.insights.builders import label_images, make_encoder, quality_metrics
from tests.insights.conftest import private_media  # noqa: F401 - each test's own media
from tests.insights.test_label_errors import confident_out_of_fold, store_classifier
from tests.web.people import Team, make_images


def get(user, path: str, **query: str):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client.get(f"/api{path}", query)


def post(user, path: str, body: dict[str, str]):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client.post(f"/api{path}", body, content_type="application/json")


@pytest.fixture
def embedded(team: Team) -> list[Image]:
    """Twelve images with representations; image 5 copies image 0 exactly."""
    images = make_images(team.project, 12)
    representations = np.random.default_rng(7).normal(size=(12, 16))
    representations[5] = representations[0]
    version = make_encoder(team.project, images, representations)
    version.config = {"source": "imagenet"}  # a calibrated encoder, as the Embed job stores
    version.save(update_fields=["config"])
    return images


@pytest.fixture
def mislabeled(team: Team) -> Image:
    """Fifteen labeled images; the third is labeled cat but the out-of-fold model says dog."""
    images = make_images(team.project, 15)
    for position, label_class in enumerate(team.classes):
        label_images(images[5 * position : 5 * position + 5], label_class, team.owner)
    labels = [position for position in range(3) for _ in range(5)]
    out_of_fold = confident_out_of_fold(labels)
    out_of_fold[2] = [0.01, 0.98, 0.01]
    store_classifier(team, images, labels, out_of_fold)
    return images[2]


def test_quality_gives_each_classifier_its_held_out_figures(team: Team, mislabeled: Image) -> None:
    response = get(team.viewer, f"/projects/{team.project.pk}/quality")

    assert response.status_code == 200
    [version] = response.json()
    expected = quality_metrics(0.9, 15)
    assert (version["number"], version["accuracy"], version["is_current"]) == (1, 0.9, True)
    assert version["label_count"] == 15
    assert [row["counts"] for row in version["confusion"]] == expected["confusion_matrix"]
    assert [c["accuracy"] for c in version["per_class"]] == [0.8, 0.95, None]
    assert {m["method"] for m in version["method_accuracies"]} == {
        "linear probe",
        "label propagation",
    }
    assert (version["expected_accuracy"], version["unlabeled_count"]) == (None, None)


def test_quality_gives_the_accuracy_expected_on_unlabeled_images(
    team: Team, mislabeled: Image
) -> None:
    classifier = team.project.current_classifier
    classifier.metrics |= {
        "expected_accuracy": 0.93, "expected_accuracy_range": [0.9, 0.95], "unlabeled_images": 40
    }  # fmt: skip
    classifier.save()

    [version] = get(team.viewer, f"/projects/{team.project.pk}/quality").json()

    assert (version["expected_accuracy"], version["unlabeled_count"]) == (0.93, 40)
    assert version["expected_range"] == [0.9, 0.95]


def test_label_errors_name_the_planted_mislabel(team: Team, mislabeled: Image) -> None:
    response = get(team.viewer, f"/projects/{team.project.pk}/label-errors")

    assert response.status_code == 200
    body = response.json()
    cat, dog, _ = team.classes
    assert body["reliable"] is True and body["checked"] == 15
    [suspect] = body["suspects"]
    assert (suspect["image"], suspect["given_class"], suspect["suggested_class"]) == (
        mislabeled.pk,
        cat.pk,
        dog.pk,
    )
    assert suspect["suggested_probability"] == pytest.approx(0.98)


def test_label_errors_without_a_classifier_say_why(team: Team) -> None:
    body = get(team.viewer, f"/projects/{team.project.pk}/label-errors").json()

    assert body["suspects"] == [] and body["classifier_version"] is None
    assert "No classifier yet" in body["reason"]


def test_duplicates_group_the_planted_copy(team: Team, embedded: list[Image]) -> None:
    response = get(team.viewer, f"/projects/{team.project.pk}/duplicates", threshold="0.99")

    assert response.status_code == 200
    body = response.json()
    assert body["image_count"] == 12 and body["threshold"] == 0.99
    assert [sorted(i["image"] for i in group["images"]) for group in body["groups"]] == [
        sorted([embedded[0].pk, embedded[5].pk])
    ]


def test_a_threshold_out_of_range_is_422(team: Team, embedded: list[Image]) -> None:
    response = get(team.viewer, f"/projects/{team.project.pk}/duplicates", threshold="1.5")

    assert response.status_code == 422
    assert "threshold" in response.json()["detail"]


def test_the_map_gives_a_point_for_every_embedded_image(team: Team, embedded: list[Image]) -> None:
    response = get(team.viewer, f"/projects/{team.project.pk}/map")

    assert response.status_code == 200
    body = response.json()
    assert sorted(body["ids"]) == sorted(image.pk for image in embedded)
    assert len(body["x"]) == len(body["y"]) == 12 and body["not_embedded"] == 0
    assert set(body["label"]) == {-1}  # nothing labeled yet
    assert [c["name"] for c in body["classes"]] == ["cat", "dog", "bird"]


def test_the_queue_is_refilled_with_the_chosen_strategy(team: Team, embedded: list[Image]) -> None:
    response = post(team.labeler, f"/projects/{team.project.pk}/queue", {"strategy": "random"})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 12 == QueueItem.objects.filter(project=team.project).count()
    assert {item["strategy"] for item in body["items"]} == {"random"}
    listed = get(team.viewer, f"/projects/{team.project.pk}/queue").json()
    assert [item["image"] for item in listed["items"]] == [item["image"] for item in body["items"]]


def test_an_unknown_strategy_is_422(team: Team, embedded: list[Image]) -> None:
    response = post(team.labeler, f"/projects/{team.project.pk}/queue", {"strategy": "best"})

    assert response.status_code == 422
    assert not QueueItem.objects.exists()


def test_the_queue_without_representations_is_409(team: Team) -> None:
    response = post(team.labeler, f"/projects/{team.project.pk}/queue", {"strategy": "typical"})

    assert response.status_code == 409
    assert "run Embed" in response.json()["detail"]


def test_a_viewer_may_not_refill_the_queue(team: Team, embedded: list[Image]) -> None:
    response = post(team.viewer, f"/projects/{team.project.pk}/queue", {"strategy": "random"})

    assert response.status_code == 403
    assert not QueueItem.objects.exists()


@pytest.mark.parametrize("path", ["quality", "label-errors", "duplicates", "map", "queue"])
def test_a_stranger_sees_no_insight(team: Team, path: str) -> None:
    assert get(team.stranger, f"/projects/{team.project.pk}/{path}").status_code == 404


def test_every_answer_in_the_openapi_document_is_typed() -> None:
    untyped = [
        f"{method.upper()} {path} {status}"
        for path, operations in api.get_openapi_schema()["paths"].items()
        for method, operation in operations.items()
        for status, answer in operation["responses"].items()
        if (schema := answer.get("content", {}).get("application/json", {}).get("schema"))
        and schema.get("type") == "object"
        and not schema.get("properties")
    ]

    assert untyped == []
