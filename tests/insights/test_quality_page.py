"""The quality page shows each classifier version's stored, cross-validated numbers."""

import numpy as np
from django.urls import reverse

from labelapp.images.models import Image
from labelapp.learning.models import Prediction
from tests.insights.builders import (
    make_classifier,
    nine_labeled_images,
    quality_metrics,
)
from tests.insights.conftest import client_for
from tests.web.people import Team, make_images


def make_two_versions(team: Team) -> None:
    images, labels = nine_labeled_images(team)
    out_of_fold = np.eye(3)[labels]
    make_classifier(team.project, images, images, labels, out_of_fold, quality_metrics(0.617, 30))
    make_classifier(team.project, images, images, labels, out_of_fold, quality_metrics(0.8125, 90))


def test_the_page_shows_each_versions_accuracy_calibration_and_confusion(team: Team) -> None:
    # given two classifier versions trained on 30 and 90 labels
    make_two_versions(team)
    # when a viewer opens the quality page
    response = client_for(team.viewer).get(
        reverse("insights-quality", kwargs={"project_id": team.project.pk})
    )
    page = response.text
    # then both versions' cross-validated accuracy and calibration error are there
    assert "Classifier v2" in page and "Classifier v1" in page
    assert '<span class="number accuracy">0.813</span>' in page  # 0.8125, rounded half up
    assert '<span class="number accuracy">0.617</span>' in page
    assert page.count('<span class="number calibration">0.042</span>') == 2
    # and per-class accuracy, with a dash for a class nobody labeled
    assert '<td class="num">0.800</td>' in page and '<td class="num">0.950</td>' in page
    # each with the labels it rests on (cat: 10 of 12 right, 2 taken for dogs)
    assert '<td class="num muted class-count">10 of 12</td>' in page
    # and a confusion matrix with class names: 30 labels -> 10 on the diagonal, 2 cats as dogs
    assert (
        '<th scope="row">cat</th><td class="num diagonal">10</td><td class="num confused">2</td>'
        in page
    )
    assert '<th scope="col">bird</th>' in page


def test_the_current_version_counts_the_unlabeled_images_it_takes_for_each_class(
    team: Team,
) -> None:
    # given two versions, and three unlabeled images and a labeled one the current one takes
    # for birds
    make_two_versions(team)
    current = team.project.current_classifier
    bird = team.classes[2]
    labeled = Image.objects.filter(project=team.project, current_label__isnull=False)[:1]
    Prediction.objects.bulk_create(
        Prediction(image=image, model_version=current, probabilities={}, predicted_class=bird,
                   confidence=0.9, margin=0.8, entropy=0.1)
        for image in [*make_images(team.project, 3, start=100), *labeled]
    )  # fmt: skip
    # when a viewer opens the quality page
    page = (
        client_for(team.viewer)
        .get(reverse("insights-quality", kwargs={"project_id": team.project.pk}))
        .text
    )
    # then the current version's bird row links to them, surest first; cats and dogs have none
    url = f"/projects/{team.project.pk}/images/?status=unlabeled&amp;predicted={bird.pk}"
    assert f'<a href="{url}" title="unlabeled images the model takes for bird' in page
    assert ">3 unlabeled</a>" in page and page.count(">0 unlabeled</a>") == 2
    # and the caveat says the labels of a class are not a sample of it
    assert page.count("your labels of a class may be no sample of it") == 2


def test_the_learning_curve_has_one_point_per_version(team: Team) -> None:
    make_two_versions(team)
    response = client_for(team.viewer).get(
        reverse("insights-quality", kwargs={"project_id": team.project.pk})
    )
    curve = response.context["curve"]
    assert [(p.label_count, round(p.accuracy, 4)) for p in curve.points] == [
        (30, 0.617),
        (90, 0.8125),
    ]
    assert response.text.count('class="curve-point cross-validated"') == 2
    assert "v2: 81.2% with 90 labels (cross-validated on the labels)" in response.text


def test_the_curve_never_joins_a_cross_validated_point_to_an_expected_one(team: Team) -> None:
    # given two versions scored by cross-validation alone and a later one with an estimate
    images, labels = nine_labeled_images(team)
    out_of_fold = np.eye(3)[labels]
    for accuracy, count in ((0.65, 20), (0.62, 50)):
        metrics = quality_metrics(accuracy, count)
        make_classifier(team.project, images, images, labels, out_of_fold, metrics)
    metrics = {**quality_metrics(0.6, 90), "expected_accuracy": 0.85, "unlabeled_images": 400}
    make_classifier(team.project, images, images, labels, out_of_fold, metrics)
    # when the quality page is opened
    response = client_for(team.viewer).get(
        reverse("insights-quality", kwargs={"project_id": team.project.pk})
    )
    # then each kind has its own line, and the legend says the first can read high or low
    curve = response.context["curve"]
    assert [(kind, len(points.split())) for kind, points in curve.lines] == [
        ("cross-validated", 2),
        ("expected", 1),
    ]
    assert response.text.count('<polyline class="curve cross-validated"') == 1
    assert response.text.count('<polyline class="curve expected"') == 1
    assert "cross-validated on your labels, before the expected accuracy is known" in (
        response.text
    )
    assert "can read well above or below the accuracy on the unlabeled images" in response.text


def test_the_learning_curve_prefers_the_accuracy_expected_on_unlabeled_images(
    team: Team,
) -> None:
    # given a version with 90 labels whose accuracy on the unlabeled images is estimated
    images, labels = nine_labeled_images(team)
    metrics = {**quality_metrics(0.8125, 90), "expected_accuracy": 0.9, "unlabeled_images": 400,
               "expected_accuracy_range": [0.85, 0.94]}  # fmt: skip
    make_classifier(team.project, images, images, labels, np.eye(3)[labels], metrics)
    # when the quality page is opened
    response = client_for(team.viewer).get(
        reverse("insights-quality", kwargs={"project_id": team.project.pk})
    )
    # then the curve and the figures show that estimate, and say what it is
    assert [round(p.accuracy, 4) for p in response.context["curve"].points] == [0.9]
    assert "v1: 90.0% with 90 labels (expected on the images no person labeled)" in response.text
    assert (
        '<span class="number expected-accuracy">0.900</span> expected on the 400' in response.text
    )


def test_before_the_estimate_the_curve_leaves_out_the_least_sure_picks(team: Team) -> None:
    # given a version scored on 90 labels, 40 of them the queue's least-sure picks
    images, labels = nine_labeled_images(team)
    metrics = {**quality_metrics(0.5, 90), "scored_labels": 90, "calibrating_labels": 50,
               "calibrating_accuracy": 0.76, "least_sure_accuracy": 0.2}  # fmt: skip
    make_classifier(team.project, images, images, labels, np.eye(3)[labels], metrics)
    # when the quality page is opened
    response = client_for(team.viewer).get(
        reverse("insights-quality", kwargs={"project_id": team.project.pk})
    )
    # then the curve reads the accuracy on the 50 others, not the 50% on all 90
    assert [round(p.accuracy, 4) for p in response.context["curve"].points] == [0.76]
    assert (
        "v1: 76.0% with 90 labels (cross-validated on the 50 labels not picked as least sure)"
        in response.text
    )
    # and the figures score the two kinds of labels apart, as the dashboard does
    figures = '<span class="number">{}</span> on the {}'
    assert figures.format("0.760", "50 other labels") in response.text
    assert figures.format("0.200", "40 least-sure picks") in response.text


def test_when_every_label_is_a_least_sure_pick_the_page_still_scores_them_apart(
    team: Team,
) -> None:
    # given a version whose 90 labels were all the queue's least-sure picks
    images, labels = nine_labeled_images(team)
    metrics = {**quality_metrics(0.3, 90), "scored_labels": 90, "calibrating_labels": 0,
               "calibrating_accuracy": None, "least_sure_accuracy": 0.3,
               "labels_for_estimate": 50, "unlabeled_images": 400}  # fmt: skip
    make_classifier(team.project, images, images, labels, np.eye(3)[labels], metrics)
    # when the quality page is opened
    response = client_for(team.viewer).get(
        reverse("insights-quality", kwargs={"project_id": team.project.pk})
    )
    # then it shows the two groups, as the dashboard does, with nothing on the empty one
    figures = '<span class="number">{}</span> on the {}'
    assert figures.format("–", "0 other labels") in response.text
    assert figures.format("0.300", "90 least-sure picks") in response.text
    assert (
        "known at 50 labels that are not least-sure picks; it had 0 when the model was "
        "trained (and 90" in (response.text)
    )


def test_without_a_classifier_the_page_says_how_to_get_one(team: Team) -> None:
    response = client_for(team.viewer).get(
        reverse("insights-quality", kwargs={"project_id": team.project.pk})
    )
    assert "No classifier yet" in response.text


def test_a_version_with_incomplete_metrics_still_renders(team: Team) -> None:
    images = make_images(team.project, 3)
    make_classifier(
        team.project, images, images[:2], [0, 1], np.eye(3)[[0, 1]], metrics={"accuracy": "n/a"}
    )
    response = client_for(team.viewer).get(
        reverse("insights-quality", kwargs={"project_id": team.project.pk})
    )
    assert response.status_code == 200
    assert "No version has a cross-validated accuracy yet." in response.text


def test_the_page_says_how_many_labels_a_person_gave_it_scored(team: Team) -> None:
    # given a version trained on 340 labels, 300 of them accepted predictions
    images, labels = nine_labeled_images(team)
    metrics = {**quality_metrics(0.7, 340), "scored_labels": 40}
    make_classifier(team.project, images, images, labels, np.eye(3)[labels], metrics)
    # when a viewer opens the quality page
    response = client_for(team.viewer).get(
        reverse("insights-quality", kwargs={"project_id": team.project.pk})
    )
    # then it says what was scored, and the curve counts the labels a person gave
    assert "Scored on the <strong>40</strong> labels a person gave" in response.text
    assert "the 300 accepted predictions it also trained on were not scored" in response.text
    assert [p.label_count for p in response.context["curve"].points] == [40]


def test_a_version_from_before_says_it_scored_every_label(team: Team) -> None:
    make_two_versions(team)  # metrics without "scored_labels"

    response = client_for(team.viewer).get(
        reverse("insights-quality", kwargs={"project_id": team.project.pk})
    )

    assert "Scored on all 90 labels it trained on" in response.text
