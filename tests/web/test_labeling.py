"""Labels: saved at once, conflicts detected, undo, history kept, bulk acceptance."""

import json

import numpy as np
import pytest
from django.test import Client

from labelapp.images.labeling import ClassTaken, LabelConflict, accept_predictions, set_label
from labelapp.images.models import Image, Label, LabelSource
from labelapp.learning.label_queue import refresh_stored_queue
from labelapp.learning.models import Prediction, QueueItem
from tests.insights import builders
from tests.web.people import Team, make_classifier, make_images


def post_labels(client: Client, team: Team, label_class: int | None, images: list[Image]):
    body = {
        "label_class": label_class,
        "images": [{"id": i.pk, "expected_version": i.label_version} for i in images],
    }
    return client.post(
        f"/api/projects/{team.project.pk}/labels",
        json.dumps(body),
        content_type="application/json",
    )


def test_a_label_is_saved_at_once_and_survives_a_reload(client: Client, team: Team) -> None:
    image = make_images(team.project, 1)[0]
    cat = team.classes[0]
    client.force_login(team.labeler)

    response = post_labels(client, team, cat.pk, [image])

    assert response.status_code == 200
    assert response.json()["results"][0]["label_version"] == 1
    page = client.get(f"/projects/{team.project.pk}/images/")
    assert f'data-label="{cat.pk}"' in page.content.decode()


def test_two_people_never_overwrite_each_other_silently(client: Client, team: Team) -> None:
    image = make_images(team.project, 1)[0]
    cat, dog = team.classes[0], team.classes[1]
    # given Alice labeled the image cat after Bob loaded the page (version 0)
    set_label(image, cat, team.owner, expected_version=0)
    client.force_login(team.labeler)

    # when Bob, still seeing version 0, says dog
    response = post_labels(client, team, dog.pk, [Image(pk=image.pk, label_version=0)])

    # then he is told what it is now, and Alice's label stands
    assert response.status_code == 409
    result = response.json()["results"][0]
    assert (result["ok"], result["label_name"], result["label_version"]) == (False, "cat", 1)
    assert "(in another tab, or by someone else): now cat" in result["message"]
    assert Image.objects.get(pk=image.pk).current_label == cat


def test_set_label_raises_conflict_on_a_stale_version(team: Team) -> None:
    image = make_images(team.project, 1)[0]
    set_label(image, team.classes[0], team.owner, expected_version=0)

    with pytest.raises(LabelConflict) as conflict:
        set_label(Image.objects.get(pk=image.pk), team.classes[1], team.labeler, 0)

    assert conflict.value.image.current_label == team.classes[0]
    assert Label.objects.filter(image=image).count() == 1


def test_undo_puts_the_previous_label_back_and_keeps_the_history(
    client: Client, team: Team
) -> None:
    image = make_images(team.project, 1)[0]
    cat, dog = team.classes[0], team.classes[1]
    client.force_login(team.labeler)
    post_labels(client, team, cat.pk, [image])
    image.refresh_from_db()
    post_labels(client, team, dog.pk, [image])
    image.refresh_from_db()

    # undo = set the label seen before, with the version the last change returned
    response = post_labels(client, team, cat.pk, [image])

    assert response.status_code == 200
    image.refresh_from_db()
    assert (image.current_label, image.label_version) == (cat, 3)
    history = client.get(f"/api/projects/{team.project.pk}/images/{image.pk}/labels").json()
    assert [entry["label_name"] for entry in history] == ["cat", "dog", "cat"]
    assert {entry["user"] for entry in history} == {"bob"}


def test_one_class_for_many_selected_images(client: Client, team: Team) -> None:
    images = make_images(team.project, 5)
    client.force_login(team.labeler)

    response = post_labels(client, team, team.classes[2].pk, images)

    assert response.status_code == 200
    assert Image.objects.filter(current_label=team.classes[2]).count() == 5


def test_a_class_of_another_project_is_refused(client: Client, team: Team) -> None:
    from labelapp.projects.class_lines import parse_class_lines
    from labelapp.projects.services import create_project

    other = create_project("Other", "", parse_class_lines("x"), team.owner)
    image = make_images(team.project, 1)[0]
    client.force_login(team.owner)

    response = post_labels(client, team, other.classes.get().pk, [image])

    assert response.status_code == 422
    assert "no class with id" in response.json()["detail"]


def test_accepting_predictions_previews_the_count_then_labels_only_unlabeled(
    client: Client, team: Team
) -> None:
    cat, dog = team.classes[0], team.classes[1]
    sure, unsure, labeled = make_images(team.project, 3)
    make_classifier(team.project, {sure: (cat, 0.97), unsure: (cat, 0.6), labeled: (cat, 0.99)})
    set_label(labeled, dog, team.owner, expected_version=0)
    client.force_login(team.labeler)
    url = f"/projects/{team.project.pk}/accept/"

    preview = client.get(url, {"minimum_confidence": "0.9"})
    assert preview.context["preview"].count == 1
    assert Image.objects.filter(current_label__isnull=False).count() == 1  # nothing yet

    client.post(url, {"minimum_confidence": "0.9"})

    sure.refresh_from_db()
    labeled.refresh_from_db()
    assert sure.current_label == cat and sure.label_version == 1
    assert labeled.current_label == dog  # a person's label is never replaced
    assert Image.objects.get(pk=unsure.pk).current_label is None
    accepted = Label.objects.get(image=sure)
    assert accepted.source == LabelSource.PREDICTION
    assert accepted.model_version == team.project.current_classifier


def test_an_empty_preview_says_how_confident_the_model_is(client: Client, team: Team) -> None:
    cat = team.classes[0]
    first, second, labeled = make_images(team.project, 3)
    make_classifier(team.project, {first: (cat, 0.41), second: (cat, 0.75), labeled: (cat, 0.99)})
    set_label(labeled, cat, team.owner, expected_version=0)
    client.force_login(team.labeler)

    response = client.get(f"/projects/{team.project.pk}/accept/", {"minimum_confidence": "0.95"})

    preview = response.context["preview"]
    assert preview.count == 0
    assert preview.highest == pytest.approx(0.75)  # the labeled image's 0.99 does not count
    assert dict(preview.counts)[0.5] == 1 and dict(preview.counts)[0.7] == 1
    assert "The most confident one is 0.75" in response.content.decode()


def test_accepting_with_a_confidence_above_one_is_explained(client: Client, team: Team) -> None:
    client.force_login(team.labeler)

    response = client.post(f"/projects/{team.project.pk}/accept/", {"minimum_confidence": "7"})

    assert response.status_code == 400
    assert "less than or equal to 1" in response.content.decode()


def test_class_names_are_escaped_on_the_labeling_page(client: Client, team: Team) -> None:
    cat = team.classes[0]
    cat.name = "<img src=x onerror=alert(1)>"
    cat.save()
    make_images(team.project, 1)
    client.force_login(team.viewer)

    page = client.get(f"/projects/{team.project.pk}/images/").content.decode()

    assert "<img src=x onerror" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # the legend button
    assert "\\u003Cimg src=x onerror=alert(1)\\u003E" in page  # the script's JSON data


def test_the_label_next_page_hands_each_tile_the_strategy_that_offered_it(
    client: Client, team: Team
) -> None:
    # given a queue with one image offered as least sure and one typical pick
    unsure, typical = make_images(team.project, 2)
    for rank, (image, strategy) in enumerate([(unsure, "margin"), (typical, "default")]):
        QueueItem.objects.create(
            project=team.project, image=image, rank=rank, strategy=strategy, score=1, reason="r"
        )
    client.force_login(team.labeler)
    # when the labeler opens "Label next", then the full-size page of the least-sure pick
    queue = client.get(f"/projects/{team.project.pk}/queue/").content.decode()
    detail = f"/projects/{team.project.pk}/images/{unsure.pk}/"
    full_size = client.get(detail, {"picked_by": "margin"}).content.decode()
    hostile = client.get(detail, {"picked_by": '"><b>hard</b>'}).content.decode()
    # then the tiles carry what labeling.js sends as each label's picked_by, on both pages;
    # the grid's tiles and a word the app does not know carry nothing
    assert queue.count('data-picked-by="margin"') == 1
    assert queue.count('data-picked-by="default"') == 1
    assert f"{detail}?picked_by=margin" in queue
    assert 'data-picked-by="margin"' in full_size
    assert 'data-picked-by=""' in hostile and "<b>hard" not in hostile
    grid = client.get(f"/projects/{team.project.pk}/images/").content.decode()
    assert grid.count('data-picked-by=""') == 2


def test_the_label_next_queue_counts_the_labels_a_person_gave(team: Team) -> None:
    # given a classifier on 4 labels of 12 embedded images, and 4 of its predictions accepted
    cat, dog, _ = team.classes
    images = make_images(team.project, 12)
    builders.make_encoder(team.project, images, np.random.default_rng(3).normal(size=(12, 8)))
    builders.label_images(images[:2], cat, team.owner)
    builders.label_images(images[2:4], dog, team.owner)
    version = builders.make_classifier(
        team.project, images, images[:4], [0, 0, 1, 1], np.full((4, 3), 1 / 3)
    )
    Prediction.objects.bulk_create(
        Prediction(image=image, model_version=version, probabilities={str(cat.pk): 0.99},
                   predicted_class=cat, confidence=0.99, margin=0.98, entropy=0.01)
        for image in images[4:8]
    )  # fmt: skip
    accept_predictions(team.project, team.owner, 0.9)

    # when the queue is picked (as the next Train or Embed job does)
    refresh_stored_queue(team.project, "default")

    # then the unlabeled images are picked, and a class's share counts a person's 2 cat
    # labels, not the 4 accepted predictions as well
    queued = set(QueueItem.objects.values_list("image_id", flat=True))
    assert queued == {image.pk for image in images[8:]}
    reasons = QueueItem.objects.values_list("reason", flat=True)
    assert any(reason.startswith("cat had only 2 labels when picked;") for reason in reasons), list(
        reasons
    )


def test_the_accept_preview_splits_the_images_by_the_class_they_would_get(
    client: Client, team: Team
) -> None:
    # given a cat a person labeled, an accepted dog, and predictions: two sure cats, one sure
    # dog, one unsure
    cat, dog, _ = team.classes
    labeled, accepted, *images = make_images(team.project, 6)
    set_label(labeled, cat, team.owner, expected_version=0)
    make_classifier(team.project, {accepted: (dog, 0.999), images[0]: (cat, 0.97),
                                   images[1]: (cat, 0.95), images[2]: (dog, 0.99),
                                   images[3]: (dog, 0.5)})  # fmt: skip
    accept_predictions(team.project, team.owner, 0.995)
    client.force_login(team.labeler)

    response = client.get(f"/projects/{team.project.pk}/accept/", {"minimum_confidence": "0.9"})

    # then cats first (2 images, 1 label of yours), then dogs (1, none: the accepted one is
    # not yours), each with a link
    assert response.context["preview"].by_class == (
        ClassTaken(cat.pk, "cat", 2, 1),
        ClassTaken(dog.pk, "dog", 1, 0),
    )
    look = f"?status=unlabeled&amp;predicted={dog.pk}&amp;min_confidence=0.9"
    assert look in response.content.decode()
