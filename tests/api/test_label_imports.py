"""Labels and another model's predictions posted in bulk: valid rows applied, others listed."""

import numpy as np
from django.test import Client

from labelapp.images.label_sources import current_labels
from labelapp.images.labeling import accept_predictions
from labelapp.images.models import Image, Label
from labelapp.learning.models import ModelVersion
from labelapp.learning.training import load_classifier_output
from tests.api.test_endpoints import api
from tests.web.people import Team, make_images


def test_labels_by_id_hash_and_name_apply_and_bad_rows_are_listed(client: Client, team: Team):
    first, second, third = make_images(team.project, 3)
    client.force_login(team.labeler)
    rows = [
        {"image_id": first.pk, "label": "cat"},
        {"content_hash": second.content_hash.upper(), "label": "Dog"},
        {"original_name": third.original_name, "label": "unicorn"},
        {"original_name": "nowhere.jpg", "label": "cat"},
    ]

    response = api(client, "POST", f"/projects/{team.project.pk}/labels/bulk", {"labels": rows})

    body = response.json()
    assert response.status_code == 200
    assert (body["applied"], body["problem_count"]) == (2, 2)
    assert [problem["row"] for problem in body["problems"]] == [2, 3]
    assert "no class named 'unicorn'" in body["problems"][0]["message"]
    labels = {label.image_id: label for label in current_labels(Image.objects.all())}
    assert labels[second.pk].by_person is True  # imported labels are a person's labels
    assert Label.objects.get(image=first).source == "import"


def test_a_row_naming_the_image_twice_over_is_refused(client: Client, team: Team):
    (image,) = make_images(team.project, 1)
    client.force_login(team.labeler)
    row = {"image_id": image.pk, "original_name": image.original_name, "label": "cat"}

    response = api(client, "POST", f"/projects/{team.project.pk}/labels/bulk", {"labels": [row]})

    assert response.status_code == 422
    assert "exactly one of image_id" in response.json()["detail"]


def test_viewers_cannot_post_labels_or_predictions(client: Client, team: Team):
    (image,) = make_images(team.project, 1)
    client.force_login(team.viewer)
    labels = {"labels": [{"image_id": image.pk, "label": "cat"}]}
    predictions = {"source": "x", "predictions": [{"image_id": image.pk, "probabilities": {}}]}

    assert (
        api(client, "POST", f"/projects/{team.project.pk}/labels/bulk", labels).status_code == 403
    )
    assert (
        api(
            client, "POST", f"/projects/{team.project.pk}/predictions/external", predictions
        ).status_code
        == 403
    )


def test_predictions_from_another_model_become_the_current_ones(client: Client, team: Team):
    images = make_images(team.project, 3)
    client.force_login(team.labeler)
    rows = [
        {"image_id": images[0].pk, "probabilities": {"cat": 0.9, "dog": 0.1}},
        {"content_hash": images[1].content_hash, "probabilities": {"bird": 2, "dog": 2}},
        {"image_id": images[2].pk, "probabilities": {"cat": -1}},
        {"image_id": images[0].pk, "probabilities": {"lion": 1}},
    ]
    body = {"source": "resnet50-in-house", "predictions": rows}

    response = api(client, "POST", f"/projects/{team.project.pk}/predictions/external", body)

    answer = response.json()
    assert response.status_code == 200, answer
    assert (answer["stored"], [p["row"] for p in answer["problems"]]) == (2, [2, 3])
    version = ModelVersion.objects.get(pk=answer["model_version"])
    team.project.refresh_from_db()
    assert team.project.current_classifier == version
    assert version.config["method"] == "external"
    assert version.config["source"] == "resnet50-in-house"
    listed = api(client, "GET", f"/projects/{team.project.pk}/predictions").json()["items"]
    by_image = {item["image"]: item for item in listed}
    assert by_image[images[1].pk]["probabilities"] == {
        str(c.pk): p for c, p in zip(team.classes, [0.0, 0.5, 0.5], strict=True)
    }
    stored = load_classifier_output(version)  # what the label-next queue reads
    assert np.allclose(stored["probabilities"].sum(axis=1), 1.0)
    assert accept_predictions(team.project, team.labeler, 0.85) == 1  # the accept page's action
    assert Image.objects.get(pk=images[0].pk).current_label.name == "cat"


def test_predictions_with_no_valid_row_store_nothing(client: Client, team: Team):
    (image,) = make_images(team.project, 1)
    client.force_login(team.labeler)
    body = {"source": "x", "predictions": [{"image_id": image.pk, "probabilities": {"cat": 0}}]}

    response = api(client, "POST", f"/projects/{team.project.pk}/predictions/external", body)

    assert response.status_code == 422
    assert "all zero" in response.json()["detail"]
    assert not ModelVersion.objects.filter(project=team.project).exists()
