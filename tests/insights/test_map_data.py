"""The map's points endpoint and the lasso's label and queue actions."""

import json

import numpy as np
import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from labelapp.images.labeling import set_label
from labelapp.images.models import Image, Label, LabelSource
from labelapp.learning.label_queue import refresh_queue
from labelapp.learning.models import Prediction, QueueItem
from tests.insights.builders import label_images, make_classifier, make_encoder
from tests.insights.conftest import client_for
from tests.web.people import Team, make_images


@pytest.fixture
def embedded(team: Team) -> list[Image]:
    """Six embedded images: two cats, one dog, three unlabeled; all predicted dog."""
    images = make_images(team.project, 6)
    make_encoder(team.project, images, np.random.default_rng(3).normal(size=(6, 4)))
    cat, dog, _ = team.classes
    label_images(images[:2], cat, team.owner)
    label_images(images[2:3], dog, team.owner)
    version = make_classifier(team.project, images, images[:3], [0, 0, 1], np.eye(3)[[0, 0, 1]])
    Prediction.objects.bulk_create(
        Prediction(image=image, model_version=version, probabilities={}, predicted_class=dog,
                   confidence=0.7, margin=0.4, entropy=0.5)
        for image in images
    )  # fmt: skip
    return [Image.objects.get(pk=image.pk) for image in images]


def url(team: Team, name: str) -> str:
    return reverse(name, kwargs={"project_id": team.project.pk})


def post_json(client: Client, address: str, body: object) -> tuple[int, dict]:
    response = client.post(address, json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


def test_points_are_parallel_arrays_in_the_unit_square(team: Team, embedded: list[Image]) -> None:
    data = client_for(team.viewer).get(url(team, "insights-map-points")).json()
    assert data["ids"] == [image.pk for image in embedded]
    for key in ("x", "y", "label", "predicted", "versions"):
        assert len(data[key]) == 6, key
    assert all(-1 <= value <= 1 for value in data["x"] + data["y"])
    assert max(abs(value) for value in data["x"] + data["y"]) == pytest.approx(1.0)
    assert data["label"] == [0, 0, 1, -1, -1, -1]
    assert data["predicted"] == [1] * 6
    assert data["versions"] == [image.label_version for image in embedded]
    assert [c["name"] for c in data["classes"]] == ["cat", "dog", "bird"]


def test_images_added_after_the_embedding_are_counted_not_drawn(
    team: Team, embedded: list[Image]
) -> None:
    make_images(team.project, 2, start=100)
    embedded[5].delete()
    data = client_for(team.viewer).get(url(team, "insights-map-points")).json()
    assert len(data["ids"]) == 5 and embedded[5].pk not in data["ids"]
    assert data["not_embedded"] == 2


def test_the_projection_is_cached_per_representations_file(
    team: Team, embedded: list[Image]
) -> None:
    client = client_for(team.viewer)
    first = client.get(url(team, "insights-map-points")).json()
    _, cached = default_storage.listdir("insights/projection")
    assert len(cached) == 1 and f"encoder-{team.project.current_encoder_id}-" in cached[0]
    assert cached[0].endswith("-n6.npz")  # keyed by the image count too
    second = client.get(url(team, "insights-map-points")).json()
    assert first["x"] == second["x"]
    assert default_storage.listdir("insights/projection")[1] == cached


def test_lasso_labels_the_selection_and_reports_conflicts(
    team: Team, embedded: list[Image]
) -> None:
    bird = team.classes[2]
    stale = embedded[4]
    label_images([Image.objects.get(pk=stale.pk)], team.classes[0], team.owner)  # changed meanwhile
    selection = [[image.pk, image.label_version] for image in embedded[2:6]]
    # when the labeler labels four images bird, one of which someone else changed meanwhile
    status, answer = post_json(
        client_for(team.labeler), url(team, "insights-map-label"),
        {"class_id": bird.pk, "images": selection},
    )  # fmt: skip
    # then three are birds, with history, and the fourth is reported as it is now
    assert status == 200
    assert (answer["labeled"], answer["unchanged"], answer["missing"]) == (3, 0, 0)
    assert answer["conflicts"] == [
        {"id": stale.pk, "label_class_id": team.classes[0].pk, "label": "cat",
         "version": stale.label_version + 1}
    ]  # fmt: skip
    for image in (embedded[2], embedded[3], embedded[5]):
        assert Image.objects.get(pk=image.pk).current_label_id == bird.pk
        assert Label.objects.filter(image=image, label_class=bird, user=team.labeler).exists()
    assert Image.objects.get(pk=stale.pk).current_label_id == team.classes[0].pk


def test_lasso_confirms_accepted_predictions_and_counts_the_labels_it_changes(
    team: Team, embedded: list[Image]
) -> None:
    bird = team.classes[2]
    # given a person's cat, a person's bird, an accepted bird and an unlabeled image
    label_images([embedded[1]], bird, team.owner)
    set_label(embedded[3], bird, None, embedded[3].label_version, source=LabelSource.PREDICTION)
    images = [Image.objects.get(pk=embedded[i].pk) for i in (0, 1, 3, 4)]
    # when the labeler labels all four bird on the map
    status, answer = post_json(
        client_for(team.labeler), url(team, "insights-map-label"),
        {"class_id": bird.pk, "images": [[image.pk, image.label_version] for image in images]},
    )  # fmt: skip
    # then the cat is changed and counted, the accepted bird becomes the labeler's own
    assert status == 200
    assert (answer["labeled"], answer["relabeled"], answer["unchanged"]) == (3, 1, 1)
    assert sorted(answer["labeled_ids"]) == sorted(embedded[i].pk for i in (0, 3, 4))
    newest = Label.objects.filter(image=embedded[3]).order_by("-id").first()
    assert (newest.source, newest.user) == (LabelSource.PERSON, team.labeler)


def test_lasso_queue_puts_unlabeled_picks_first(team: Team, embedded: list[Image]) -> None:
    QueueItem.objects.create(project=team.project, image=embedded[3], rank=0, strategy="typical",
                             score=1.0, reason="typical")  # fmt: skip
    status, answer = post_json(
        client_for(team.labeler),
        url(team, "insights-map-queue"),
        {"image_ids": [embedded[0].pk, embedded[3].pk, embedded[4].pk, embedded[5].pk, 10**9]},
    )
    assert status == 200
    assert answer == {"queued": 2, "already_queued": 1, "labeled": 1, "missing": 1}
    queue = list(QueueItem.objects.filter(project=team.project).order_by("rank"))
    assert [(item.image_id, item.strategy, item.reason) for item in queue] == [
        (embedded[4].pk, "manual", "picked on the map"),
        (embedded[5].pk, "manual", "picked on the map"),
        (embedded[3].pk, "typical", "typical"),
    ]


def test_a_queue_refresh_keeps_hand_picked_images_first(team: Team, embedded: list[Image]) -> None:
    post_json(
        client_for(team.labeler),
        url(team, "insights-map-queue"),
        {"image_ids": [embedded[5].pk, embedded[4].pk]},
    )
    image_ids = np.array([image.pk for image in embedded])

    picked = refresh_queue(
        team.project, image_ids, np.random.default_rng(0).normal(size=(6, 4)), "random", count=5
    )

    queue = list(QueueItem.objects.filter(project=team.project).order_by("rank"))
    assert picked == 1  # three unlabeled images, two of them already queued by hand
    assert [(item.image_id, item.strategy) for item in queue] == [
        (embedded[5].pk, "manual"),
        (embedded[4].pk, "manual"),
        (embedded[3].pk, "random"),
    ]


@pytest.mark.parametrize(
    "body, message",
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"images": "all", "class_id": 1}', "must be a list"),
        ('{"images": [], "class_id": 1}', "at least one image"),
        ('{"images": [[1]], "class_id": 1}', "[image id, label version]"),
        ('{"images": [[1, -1]], "class_id": 1}', "[image id, label version]"),
        ('{"images": [[true, 0]], "class_id": 1}', "[image id, label version]"),
        ('{"images": [[1, 0]], "class_id": "cat"}', "Choose a class"),
        ('{"images": [[1, 0]], "class_id": 999999999}', "does not exist in this project"),
        ('{"images": [[1, 0]], "class_id": 1e400}', "Choose a class"),
    ],
)
def test_malformed_lasso_requests_are_refused_with_a_reason(
    team: Team, embedded: list[Image], body: str, message: str
) -> None:
    response = client_for(team.labeler).post(
        url(team, "insights-map-label"), body, content_type="application/json"
    )
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert Label.objects.filter(user=team.labeler).count() == 0


def test_too_large_a_selection_is_refused(team: Team, embedded: list[Image]) -> None:
    status, answer = post_json(
        client_for(team.labeler), url(team, "insights-map-queue"),
        {"image_ids": list(range(1, 1002))},
    )  # fmt: skip
    assert status == 400 and "at most 1,000" in answer["error"]


def test_a_viewer_cannot_label_or_queue(team: Team, embedded: list[Image]) -> None:
    client = client_for(team.viewer)
    body = json.dumps({"class_id": team.classes[0].pk, "images": [[embedded[3].pk, 0]]})
    response = client.post(url(team, "insights-map-label"), body, content_type="application/json")
    assert response.status_code == 403
    response = client.post(url(team, "insights-map-queue"), "{}", content_type="application/json")
    assert response.status_code == 403
    assert Image.objects.get(pk=embedded[3].pk).current_label_id is None
