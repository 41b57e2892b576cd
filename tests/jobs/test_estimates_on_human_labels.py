"""Accepted predictions train the classifier but never count as truth in its estimate."""

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.test import Client

from labelapp.images.labeling import accept_predictions, set_label
from labelapp.images.models import Image
from labelapp.learning import training_process
from labelapp.learning.models import QueueItem
from labelapp.learning.training import labeled_by_whom
from simclr_core.fewlabel.calibration import expected_accuracy
from simclr_core.fewlabel.classifier_selection import train_best_classifier
from tests.insights.builders import label_images
from tests.simclr_core.test_scoring_human_labels import hard_people_easy_predictions
from tests.web.people import Team, make_classifier, make_images, make_team


@pytest.fixture
def team(db: None) -> Team:
    return make_team()


def train_in_child(
    tmp_path: Path, capsys: Any, features: np.ndarray, spec: dict[str, Any]
) -> dict[str, Any]:
    """Runs the train child's command in-process and returns its final metrics."""
    np.save(tmp_path / "features.npy", features)
    training_process.run_train(
        {"representations": str(tmp_path / "features.npy"), "num_classes": 2,
         "output": str(tmp_path / "classifier.npz"), **spec}
    )  # fmt: skip
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    # cross-validation reports its progress (its ETA depends on the pace: see
    # tests/jobs/test_every_job_has_an_eta.py)
    assert any(
        event["event"] == "progress" and event["message"].startswith("Cross-validating")
        for event in events
    )
    metrics: dict[str, Any] = events[-1]["metrics"]
    return metrics


@pytest.mark.django_db
def test_accepting_predictions_does_not_raise_the_estimate(
    team: Team, tmp_path: Path, capsys: Any, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    # given 40 hard images labeled by a person and 300 easy ones a confident model predicted
    features, truth, people = hard_people_easy_predictions()
    images = make_images(team.project, len(truth))
    classes = team.classes[:2]
    for position, label_class in enumerate(classes):
        label_images([images[i] for i in range(people) if truth[i] == position], label_class,
                     team.owner)  # fmt: skip
    predicted = {images[i]: (classes[truth[i]], 0.99) for i in range(people, len(truth))}
    make_classifier(team.project, predicted)
    image_ids = np.array([image.pk for image in images])

    def estimate() -> dict[str, Any]:
        positions, labels, scored, _ = labeled_by_whom(image_ids, classes, team.project.pk)
        spec = {"labeled_indices": positions.tolist(), "labels": labels.tolist(),
                "scored": scored.tolist()}  # fmt: skip
        return train_in_child(tmp_path, capsys, features, spec)

    before = estimate()
    # when the owner accepts every prediction at >= 0.95
    assert accept_predictions(team.project, team.owner, 0.95) == 300
    after = estimate()
    # then the job trains on 340 labels but scores only the 40 a person gave
    assert (after["labels"], after["scored_labels"]) == (340, 40)
    assert sum(map(sum, after["confusion_matrix"])) == 40
    # and the estimate does not rise with the model's own easy answers
    assert after["accuracy"] <= before["accuracy"] + 0.05
    assert after["accuracy"] < 0.9


@pytest.mark.django_db
def test_a_label_a_person_gives_after_accepting_is_scored_again(team: Team) -> None:
    images = make_images(team.project, 2)
    cat, dog = team.classes[:2]
    make_classifier(team.project, {images[0]: (cat, 0.99), images[1]: (dog, 0.99)})
    accept_predictions(team.project, team.owner, 0.95)
    label_images([Image.objects.get(pk=images[1].pk)], cat, team.owner)  # a person corrects one

    _, _, scored, _ = labeled_by_whom(
        np.array([i.pk for i in images]), team.classes, team.project.pk
    )

    assert scored.tolist() == [False, True]


def test_the_expected_accuracy_is_over_the_images_no_person_labeled_from_their_labels(
    tmp_path: Path, capsys: Any
) -> None:
    # given 30 labels a person gave and 10 accepted predictions, of 340 images
    features, truth, _ = hard_people_easy_predictions()
    labeled = np.concatenate(
        [np.arange(15), np.arange(20, 35), np.arange(40, 45), [190, 191, 192, 193, 194]]
    )
    scored = np.arange(40) < 30
    spec = {"labeled_indices": labeled.tolist(), "labels": truth[labeled].tolist(),
            "scored": scored.tolist()}  # fmt: skip
    # when the train job runs
    metrics = train_in_child(tmp_path, capsys, features, spec)
    # then the accuracy it expects is for the 310 images no person labeled (300 without a
    # label, 10 accepted predictions), calibrated on the out-of-fold predictions of the labels
    # a person gave and read from a model of those labels alone (simclr_core's tests check
    # the estimate itself)
    output = np.load(tmp_path / "classifier.npz")
    unlabeled = np.setdiff1d(np.arange(len(truth)), labeled[scored])
    alone = train_best_classifier(
        features, labeled[scored], truth[labeled][scored], 2, methods=[metrics["method"]]
    )
    assert (metrics["unlabeled_images"], metrics["accepted_in_estimate"]) == (310, 10)
    assert metrics["expected_accuracy"] == pytest.approx(
        expected_accuracy(
            output["out_of_fold"][scored],
            truth[labeled][scored],
            alone.probabilities[unlabeled],
        )
    )
    low, high = metrics["expected_accuracy_range"]
    assert low <= metrics["expected_accuracy"] <= high
    # the accept page cannot say how many of this model's predictions are right: it is not
    # the model the map was calibrated for
    assert metrics["calibration_map"] is None
    assert metrics["expected_accuracy"] != pytest.approx(
        expected_accuracy(output["out_of_fold"], truth[labeled], output["probabilities"][unlabeled])
    )


def test_the_expected_accuracy_waits_for_five_labels_per_class(tmp_path: Path, capsys: Any) -> None:
    features, truth, _ = hard_people_easy_predictions()
    labeled = np.array([0, 1, 2, 3, 20, 21, 22, 23, 24])  # 9 labels, 2 classes: 10 needed
    spec = {"labeled_indices": labeled.tolist(), "labels": truth[labeled].tolist()}
    metrics = train_in_child(tmp_path, capsys, features, spec)
    assert metrics["expected_accuracy"] is None and metrics["expected_accuracy_range"] is None
    assert (metrics["labels_for_estimate"], metrics["unlabeled_images"]) == (10, 331)


@pytest.mark.django_db
def test_labels_of_the_least_sure_images_are_scored_but_do_not_calibrate_the_estimate(
    client: Client, team: Team
) -> None:
    # given six images: one offered as least sure and labeled through the API with the
    # strategy that offered it, one offered by the default queue, one found by the person,
    # one queued as least sure but labeled from the grid (not picked because it was hard:
    # the queue is not consulted), and one whose prediction is accepted
    images = make_images(team.project, 6)
    cat, dog = team.classes[:2]
    QueueItem.objects.create(
        project=team.project, image=images[3], rank=0, strategy="margin", score=1, reason=""
    )
    make_classifier(team.project, {images[5]: (dog, 0.99)})
    client.force_login(team.labeler)
    picks = ["margin", "entropy", "default", "", ""]
    body = {
        "label_class": cat.pk,
        "images": [
            {"id": image.pk, "expected_version": 0, "picked_by": picked_by}
            for image, picked_by in zip(images, picks, strict=False)
        ],
    }
    # when a person labels the first five and the prediction is accepted
    response = client.post(
        f"/api/projects/{team.project.pk}/labels", body, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    accept_predictions(team.project, team.owner, 0.95)
    _, _, scored, calibrating = labeled_by_whom(
        np.array([image.pk for image in images]), team.classes, team.project.pk
    )
    # then the labels record the strategy, every label of a person is scored, and only those
    # of images not offered as least sure calibrate the expected accuracy
    assert [image.labels.get().picked_by for image in images[:5]] == picks
    assert scored.tolist() == [True, True, True, True, True, False]
    assert calibrating.tolist() == [False, False, True, True, True, False]


@pytest.mark.django_db
def test_a_client_that_leaves_picked_by_out_gets_the_strategy_of_the_queue(
    client: Client, team: Team
) -> None:
    # given three images queued as least sure and one not queued
    images = make_images(team.project, 4)
    for rank, image in enumerate(images[:3]):
        QueueItem.objects.create(
            project=team.project, image=image, rank=rank, strategy="margin", score=1, reason=""
        )
    client.force_login(team.labeler)
    labels = f"/api/projects/{team.project.pk}/labels"
    one = f"/api/projects/{team.project.pk}/images/{{}}/label"
    # when a client labels them without saying what offered them, except for one it found
    # itself (empty), in bulk and one at a time
    body = {"label_class": team.classes[0].pk, "images": [
        {"id": images[0].pk, "expected_version": 0},
        {"id": images[1].pk, "expected_version": 0, "picked_by": ""},
        {"id": images[3].pk, "expected_version": 0},
    ]}  # fmt: skip
    assert client.post(labels, body, content_type="application/json").status_code == 200
    single = {"label_class": team.classes[0].pk, "expected_version": 0}
    response = client.put(one.format(images[2].pk), single, content_type="application/json")
    assert response.status_code == 200
    # then a left-out strategy is the queue's, so least-sure picks stay out of calibration
    picked = [image.labels.get().picked_by for image in images]
    assert picked == ["margin", "", "margin", ""]


@pytest.mark.django_db
def test_a_strategy_the_app_does_not_know_is_refused_and_nothing_is_labeled(
    client: Client, team: Team
) -> None:
    image = make_images(team.project, 1)[0]
    client.force_login(team.labeler)
    body = {
        "label_class": team.classes[0].pk,
        "images": [{"id": image.pk, "expected_version": 0, "picked_by": "hardest"}],
    }
    response = client.post(
        f"/api/projects/{team.project.pk}/labels", body, content_type="application/json"
    )
    assert response.status_code == 422
    assert "unknown strategy 'hardest'; use one of random, least_confidence" in (
        response.content.decode()
    )
    response = client.put(
        f"/api/projects/{team.project.pk}/images/{image.pk}/label",
        {"label_class": team.classes[0].pk, "expected_version": 0, "picked_by": "hardest"},
        content_type="application/json",
    )
    assert response.status_code == 422
    with pytest.raises(ValueError, match="unknown strategy 'hardest'"):
        set_label(image, team.classes[0], team.labeler, 0, picked_by="hardest")
    assert not Image.objects.filter(current_label__isnull=False).exists()


def test_the_expected_accuracy_is_calibrated_only_on_labels_that_may_calibrate_it(
    tmp_path: Path, capsys: Any
) -> None:
    features, truth, _ = hard_people_easy_predictions()
    labeled = np.concatenate([np.arange(10), np.arange(20, 30)])  # 20 labels, 2 classes
    calibrating = np.arange(20) % 2 == 0
    spec = {"labeled_indices": labeled.tolist(), "labels": truth[labeled].tolist(),
            "calibrating": calibrating.tolist()}  # fmt: skip
    # with 10 labels that calibrate it (2 classes need 10), the estimate reads those alone
    metrics = train_in_child(tmp_path, capsys, features, spec)
    output = np.load(tmp_path / "classifier.npz")
    unlabeled = np.setdiff1d(np.arange(len(truth)), labeled)
    assert (metrics["scored_labels"], metrics["calibrating_labels"]) == (20, 10)
    right = output["out_of_fold"].argmax(1) == truth[labeled]
    assert metrics["calibrating_accuracy"] == pytest.approx(right[calibrating].mean())
    assert metrics["least_sure_accuracy"] == pytest.approx(right[~calibrating].mean())
    assert metrics["expected_accuracy"] == pytest.approx(
        expected_accuracy(
            output["out_of_fold"][calibrating],
            truth[labeled][calibrating],
            output["probabilities"][unlabeled],
        )
    )
    # and the accept page's map of how often a prediction that confident is right averages
    # to that estimate over the unlabeled images (its knots are rounded to 4 places)
    chances = np.interp(output["probabilities"][unlabeled].max(1), *metrics["calibration_map"])
    assert chances.mean() == pytest.approx(metrics["expected_accuracy"], abs=1e-3)
    # with 9, it waits, though all 20 are scored
    calibrating[0] = False
    spec["calibrating"] = calibrating.tolist()
    metrics = train_in_child(tmp_path, capsys, features, spec)
    assert (metrics["scored_labels"], metrics["calibrating_labels"]) == (20, 9)
    assert metrics["expected_accuracy"] is None and metrics["expected_accuracy_range"] is None
    assert metrics["calibration_map"] is None


@pytest.mark.django_db
def test_correcting_a_least_sure_pick_keeps_it_out_of_the_calibration(team: Team) -> None:
    # given an image the queue offered as least sure, labeled cat from the queue
    (image,) = make_images(team.project, 1)
    cat, dog = team.classes[:2]
    set_label(image, cat, team.owner, image.label_version, picked_by="margin")
    # when a person corrects it to dog later, outside the queue
    label_images([Image.objects.get(pk=image.pk)], dog, team.owner)
    _, labels, scored, calibrating = labeled_by_whom(
        np.array([image.pk]), team.classes, team.project.pk
    )
    # then the correction is scored, but the image is still one picked for being hard
    assert (labels.tolist(), scored.tolist(), calibrating.tolist()) == ([1], [True], [False])
