"""The label-error page lists a planted mislabel; relabel and keep go through the label rules."""

import numpy as np
import pytest
from django.urls import reverse

from labelapp.images.models import Image, Label
from labelapp.insights.models import KeptLabel
from tests.insights.builders import label_images, make_classifier, nine_labeled_images
from tests.insights.conftest import client_for
from tests.web.people import Team

CONFIDENT = [0.9, 0.05, 0.05]


@pytest.fixture
def mislabeled(team: Team) -> Image:
    """Nine labeled images; the third is labeled cat but the out-of-fold model says dog."""
    images, labels = nine_labeled_images(team)
    out_of_fold = np.array([np.roll(CONFIDENT, label) for label in labels])
    out_of_fold[2] = [0.05, 0.9, 0.05]
    make_classifier(team.project, images, images, labels, out_of_fold)
    return Image.objects.get(pk=images[2].pk)


def page_url(team: Team) -> str:
    return reverse("insights-label-errors", kwargs={"project_id": team.project.pk})


def action_url(team: Team, name: str, image: Image) -> str:
    return reverse(name, kwargs={"project_id": team.project.pk, "image_id": image.pk})


def test_the_page_lists_the_planted_mislabel_with_its_suggestion(
    team: Team, mislabeled: Image
) -> None:
    response = client_for(team.viewer).get(page_url(team))
    suspects = response.context["report"].suspects
    assert [s.image_id for s in suspects] == [mislabeled.pk]
    assert (suspects[0].given.name, suspects[0].suggested.name) == ("cat", "dog")
    assert suspects[0].suggested_probability == pytest.approx(0.9)
    assert "Relabel as dog" not in response.text  # a viewer sees no buttons


def test_relabel_goes_through_set_label_and_records_history(team: Team, mislabeled: Image) -> None:
    dog = team.classes[1]
    # when the labeler relabels the image as suggested
    response = client_for(team.labeler).post(
        action_url(team, "insights-relabel", mislabeled),
        {"class_id": dog.pk, "label_version": mislabeled.label_version},
    )
    # then it is a dog now, with a new version and a Label row by the labeler
    assert response.status_code == 302
    image = Image.objects.get(pk=mislabeled.pk)
    assert (image.current_label_id, image.label_version) == (dog.pk, mislabeled.label_version + 1)
    assert Label.objects.filter(image=image, label_class=dog, user=team.labeler).count() == 1
    # and it is no longer listed
    assert not client_for(team.labeler).get(page_url(team)).context["report"].suspects


def test_a_stale_relabel_is_refused_as_a_conflict(team: Team, mislabeled: Image) -> None:
    _cat, dog, bird = team.classes
    seen_version = mislabeled.label_version
    label_images([mislabeled], bird, team.owner)  # someone else changed it meanwhile
    client = client_for(team.labeler)
    response = client.post(
        action_url(team, "insights-relabel", mislabeled),
        {"class_id": dog.pk, "label_version": seen_version},
        follow=True,
    )
    assert "Changed by someone else: now bird." in response.text
    assert Image.objects.get(pk=mislabeled.pk).current_label_id == bird.pk
    assert not Label.objects.filter(image=mislabeled, label_class=dog).exists()


def test_keep_hides_the_image_until_its_label_changes(team: Team, mislabeled: Image) -> None:
    client = client_for(team.labeler)
    client.post(
        action_url(team, "insights-keep", mislabeled), {"label_version": mislabeled.label_version}
    )
    assert KeptLabel.objects.filter(image=mislabeled, user=team.labeler).exists()
    assert not client.get(page_url(team)).context["report"].suspects
    assert Image.objects.get(pk=mislabeled.pk).current_label_id == team.classes[0].pk


def test_a_viewer_cannot_relabel(team: Team, mislabeled: Image) -> None:
    response = client_for(team.viewer).post(
        action_url(team, "insights-relabel", mislabeled),
        {"class_id": team.classes[1].pk, "label_version": mislabeled.label_version},
    )
    assert response.status_code == 403
    assert Image.objects.get(pk=mislabeled.pk).current_label_id == team.classes[0].pk


@pytest.mark.parametrize(
    "form, message",
    [
        ({}, "This field is required."),
        ({"class_id": "dog", "label_version": "1"}, "Enter a whole number."),
        (
            {"class_id": "999999", "label_version": "1"},
            "That class does not exist in this project.",
        ),
        ({"class_id": "1", "label_version": "-4"}, "greater than or equal to 0"),
    ],
)
def test_malformed_relabel_changes_nothing_and_says_why(
    team: Team, mislabeled: Image, form: dict[str, str], message: str
) -> None:
    response = client_for(team.labeler).post(
        action_url(team, "insights-relabel", mislabeled), form, follow=True
    )
    assert response.status_code == 200
    assert message in response.text
    assert Label.objects.filter(image=mislabeled).count() == 1  # only the original label


def test_an_unknown_image_is_not_found(team: Team, mislabeled: Image) -> None:
    url = reverse("insights-relabel", kwargs={"project_id": team.project.pk, "image_id": 10**9})
    response = client_for(team.owner).post(
        url, {"class_id": team.classes[1].pk, "label_version": 0}
    )
    assert response.status_code == 404


def test_without_a_classifier_the_page_says_so(team: Team) -> None:
    response = client_for(team.viewer).get(page_url(team))
    assert "No classifier yet" in response.text
