"""The label-error page lists a planted mislabel only when the model is good enough, checks
only labels a person gave, and offers keeping and relabeling as equal choices; relabel and
keep go through the label rules."""

import numpy as np
import pytest
from django.urls import reverse

from labelapp.images.models import Image, Label
from labelapp.insights.models import KeptLabel
from labelapp.learning.models import ModelKind
from labelapp.learning.training import _classifier_file
from labelapp.learning.versions import create_version
from tests.insights.builders import label_images, quality_metrics
from tests.insights.conftest import client_for
from tests.web.people import Team, make_images

CONFIDENT = [0.9, 0.05, 0.05]
PER_CLASS = 5  # simclr_core.curation.label_errors.MIN_LABELS_PER_CLASS


def labeled_images(team: Team) -> tuple[list[Image], list[int]]:
    """Fifteen images, five labeled with each of the team's three classes."""
    images = make_images(team.project, 3 * PER_CLASS)
    for position, label_class in enumerate(team.classes):
        label_images(images[PER_CLASS * position : PER_CLASS * (position + 1)], label_class,
                     team.owner)  # fmt: skip
    return images, [position for position in range(3) for _ in range(PER_CLASS)]


def store_classifier(
    team: Team, images: list[Image], labels: list[int], out_of_fold: np.ndarray,
    by_person: list[bool] | None = None,
) -> None:  # fmt: skip
    """The current classifier with these out-of-fold probabilities; ``by_person`` False marks
    a label as an accepted prediction (default: all given by a person)."""
    classes = list(team.project.classes.order_by("position", "id"))
    result = {
        "probabilities": out_of_fold.astype(np.float32),
        "out_of_fold": out_of_fold.astype(np.float32),
        "labeled_indices": np.arange(len(images)),
        "labels": np.array(labels, dtype=np.int64),
        "scored": np.array([True] * len(images) if by_person is None else by_person),
    }
    image_ids = np.array([image.pk for image in images], dtype=np.int64)
    version = create_version(
        team.project, ModelKind.CLASSIFIER, None,
        config={"method": "linear_probe", "classes": [c.pk for c in classes]},
        metrics=quality_metrics(0.9, len(images)),
        files={"weights": ("classifier.npz", _classifier_file(image_ids, result))},
    )  # fmt: skip
    team.project.current_classifier = version
    team.project.save(update_fields=["current_classifier"])


def confident_out_of_fold(labels: list[int]) -> np.ndarray:
    return np.array([np.roll(CONFIDENT, label) for label in labels])


@pytest.fixture
def mislabeled(team: Team) -> Image:
    """Fifteen labeled images; the third is labeled cat but the out-of-fold model says dog."""
    images, labels = labeled_images(team)
    out_of_fold = confident_out_of_fold(labels)
    out_of_fold[2] = [0.01, 0.98, 0.01]
    store_classifier(team, images, labels, out_of_fold)
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
    assert suspects[0].suggested_probability == pytest.approx(0.98)
    assert "Relabel as" not in response.text and "Keep cat" not in response.text  # no buttons


def test_keep_and_relabel_are_equal_choices_and_nothing_picks_the_guess(
    team: Team, mislabeled: Image
) -> None:
    text = client_for(team.labeler).get(page_url(team)).text
    dog = team.classes[1]
    assert '<button class="small">Keep cat</button>' in text
    assert '<button class="small">Relabel as…</button>' in text
    assert "primary" not in text.split('class="suspects"')[1]  # neither is highlighted
    # the class picker starts empty: relabeling takes a person's choice, never a default
    assert '<option value="" selected>Choose a class…</option>' in text
    assert f'<option value="{dog.pk}">dog (model\'s guess)</option>' in text
    assert f'name="class_id" value="{dog.pk}"' not in text


def test_a_relabel_without_a_chosen_class_changes_nothing(team: Team, mislabeled: Image) -> None:
    response = client_for(team.labeler).post(
        action_url(team, "insights-relabel", mislabeled),
        {"class_id": "", "label_version": mislabeled.label_version},
        follow=True,
    )
    assert "This field is required." in response.text
    assert Image.objects.get(pk=mislabeled.pk).current_label_id == team.classes[0].pk


def test_a_weak_model_gets_a_warning_with_its_accuracy_instead_of_a_list(team: Team) -> None:
    # given a classifier that agrees with only 9 of the 15 labels on unseen images
    images, labels = labeled_images(team)
    out_of_fold = confident_out_of_fold([(label + (i % 5 < 2)) % 3 for i, label in
                                         enumerate(labels)])  # fmt: skip
    store_classifier(team, images, labels, out_of_fold)
    # then no suspect is listed, and the page says why with the number that decided it
    response = client_for(team.viewer).get(page_url(team))
    report = response.context["report"]
    assert report.suspects == [] and not report.assessment.reliable
    assert "agrees with only 60% of the labels it does not suspect" in response.text
    assert "at least 80% is needed" in response.text
    assert "Show its suspects anyway" in response.text


def test_the_suspects_of_a_weak_model_are_shown_when_asked_with_the_warning(team: Team) -> None:
    # given one confident disagreement, and a model unsure and wrong on 4 other labels
    images, labels = labeled_images(team)
    out_of_fold = confident_out_of_fold(labels)
    out_of_fold[2] = [0.01, 0.98, 0.01]
    for index in (5, 6, 10, 11):
        out_of_fold[index] = np.roll([0.4, 0.35, 0.25], labels[index] + 1)
    store_classifier(team, images, labels, out_of_fold)
    # when the person asks for the list anyway
    response = client_for(team.labeler).get(page_url(team), {"anyway": "1"})
    # then it lists the disagreement, under the warning that held it back
    report = response.context["report"]
    assert not report.assessment.reliable
    assert [suspect.image_id for suspect in report.suspects] == [images[2].pk]
    assert "Shown as you asked. The classifier agrees with only 71%" in response.text
    assert 'name="anyway" value="1"' in response.text
    # and keeping its label leads back to the list shown anyway
    kept = client_for(team.labeler).post(
        action_url(team, "insights-keep", images[2]),
        {"label_version": Image.objects.get(pk=images[2].pk).label_version, "anyway": "1"},
    )
    assert kept.url.endswith(f"?anyway=1#image-{images[2].pk}")


def test_accepted_predictions_are_counted_but_not_checked(team: Team) -> None:
    # given the mislabeled image's label is an accepted prediction, not a person's
    images, labels = labeled_images(team)
    out_of_fold = confident_out_of_fold(labels)
    out_of_fold[2] = [0.01, 0.98, 0.01]
    by_person = [index != 2 for index in range(len(images))]
    store_classifier(team, images, labels, out_of_fold, by_person)
    # then it is not listed, and the page says how many labels were and were not checked
    response = client_for(team.viewer).get(page_url(team))
    assert response.context["report"].suspects == []
    assert "Checked 14 labels a person gave; 1 accepted prediction is not checked" in response.text


def test_relabel_goes_through_set_label_and_records_history(team: Team, mislabeled: Image) -> None:
    dog = team.classes[1]
    # when the labeler chooses dog for the image
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
    assert "(in another tab, or by someone else): now bird." in response.text
    assert Image.objects.get(pk=mislabeled.pk).current_label_id == bird.pk
    assert not Label.objects.filter(image=mislabeled, label_class=dog).exists()


def test_keep_hides_the_image_until_its_label_changes(team: Team, mislabeled: Image) -> None:
    client = client_for(team.labeler)
    client.post(
        action_url(team, "insights-keep", mislabeled), {"label_version": mislabeled.label_version}
    )
    assert KeptLabel.objects.filter(image=mislabeled, user=team.labeler).exists()
    response = client.get(page_url(team))
    assert not response.context["report"].suspects
    assert "All 1 suspect of classifier v1 reviewed" in response.text
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
