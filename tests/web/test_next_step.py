"""The dashboard's one primary action: a pure function of a few counts, and its page."""

from dataclasses import replace

import pytest
from django.test import Client
from django.urls import reverse

from labelapp.images.labeling import accept_predictions
from labelapp.learning.models import ModelKind, ModelVersion
from labelapp.projects.dashboard import (
    CONTINUATION_EPOCHS_ON_ACCELERATOR,
    CONTINUATION_IMAGES_PER_CPU_EPOCH,
    PRESET_EPOCHS,
    job_buttons,
    preset_epochs,
    project_state,
    summarize,
)
from labelapp.projects.next_step import OPTIONAL_PRETRAIN, ProjectState, next_step
from simclr_core.ssl.pretrain_config import cpu_preset, gpu_preset, pretrained_continuation_preset
from tests.insights.builders import label_images
from tests.web.people import Team, make_classifier, make_images

READY = ProjectState(
    images=100,
    human_labels_per_class={"cat": 10, "dog": 10},
    labels_since_model=0,
    labels_in_model=20,
    has_representations=True,
    has_classifier=True,
    classifier_on_current_encoder=True,
)


def test_a_project_without_images_asks_for_them() -> None:
    assert next_step(replace(READY, images=0)).link == "upload"


def test_without_representations_an_imagenet_project_embeds_and_a_random_one_pretrains() -> None:
    bare = replace(READY, has_representations=False, has_classifier=False)

    assert next_step(bare).job_kind == "embed"
    assert next_step(replace(bare, needs_pretraining=True)).job_kind == "pretrain"


def test_classes_short_of_two_labels_come_first_and_pretrain_is_optional() -> None:
    state = replace(READY, human_labels_per_class={"cat": 2, "dog": 1, "bird": 0},
                    has_classifier=False)  # fmt: skip

    step = next_step(state)

    assert (step.title, step.link) == ("Label 2 images of each class", "label")
    assert "dog, bird" in step.reason
    assert "a classifier can be trained and checked" in step.reason
    assert step.notes == [OPTIONAL_PRETRAIN]


def test_a_short_class_the_model_knows_is_looked_for_among_its_predictions() -> None:
    short = {"cat": 10, "dog": 0, "bird": 1, "fish": 1}
    # the model predicts no dog (no label) and no fish (its label came after training)
    state = replace(READY, human_labels_per_class=short, predicted_classes=frozenset({"bird"}))

    step = next_step(state)

    assert step.find_class == "bird"
    # a classifier exists: the labels are wanted to check it on every class
    assert "the classifier knows every class and cross-validation can check each" in step.reason
    assert "It opens on the images the model takes for bird, surest first" in step.reason
    assert next_step(replace(state, predicted_classes=frozenset())).find_class == ""


def test_the_label_step_links_to_the_likeliest_images_of_the_short_class(team: Team) -> None:
    # given a classifier, two labels of cat and dog and one of bird
    cat, dog, bird = team.classes
    images = make_images(team.project, 6)
    label_images(images[:2], cat, team.owner)
    label_images(images[2:4], dog, team.owner)
    label_images(images[4:5], bird, team.owner)
    make_classifier(team.project, {images[5]: (bird, 0.6)})
    ModelVersion.objects.filter(kind=ModelKind.CLASSIFIER).update(
        encoder=ModelVersion.objects.create(project=team.project, kind=ModelKind.ENCODER, number=1)
    )
    team.project.refresh_from_db()
    team.project.current_encoder = team.project.current_classifier.encoder
    team.project.save()
    client = Client()
    client.force_login(team.labeler)

    page = client.get(reverse("project-dashboard", args=[team.project.pk])).text

    assert f"?status=unlabeled&amp;predicted={bird.pk}" in page


def test_images_added_after_the_classifier_ask_for_training_again() -> None:
    step = next_step(replace(READY, unpredicted_images=60))

    assert step.job_kind == "retrain"
    assert step.reason.startswith("60 images came after the current classifier")
    assert next_step(replace(READY, unpredicted_images=60, running_jobs=("embed",))).link


def test_two_labels_in_each_class_make_the_first_model() -> None:
    step = next_step(replace(READY, has_classifier=False))

    assert (step.title, step.job_kind) == ("Train", "retrain")


def test_a_new_encoder_asks_for_a_retrain() -> None:
    step = next_step(replace(READY, classifier_on_current_encoder=False))

    assert step.reason.startswith("The encoder changed: retrain")
    assert step.job_kind == "retrain"


@pytest.mark.parametrize(
    "since, in_model, train", [(18, 20, True), (4, 20, False), (19, 100, False), (20, 100, True)]
)
def test_enough_new_labels_ask_for_training(since: int, in_model: int, train: bool) -> None:
    step = next_step(replace(READY, labels_since_model=since, labels_in_model=in_model))

    assert (step.job_kind == "retrain") is train
    if train:
        assert step.reason == f"Train: {since} new labels since the last model."


def test_an_up_to_date_model_offers_pretraining_once_while_labels_are_few() -> None:
    few = replace(READY, human_labels_per_class={"cat": 2, "dog": 3}, labels_in_model=5)
    step = next_step(few)

    assert (step.title, step.job_kind) == ("Pretrain", "pretrain")
    assert "9 points of accuracy at 1 label per class" in step.reason
    assert next_step(replace(few, pretrain_tried=True)).link == "queue"
    # from 5 labels per class on it gained nothing on real photos: label next instead
    assert next_step(READY).link == "queue"
    assert next_step(READY).notes == [OPTIONAL_PRETRAIN]


def test_an_up_to_date_model_on_a_pretrained_encoder_sends_you_to_label_next() -> None:
    assert next_step(replace(READY, pretrained=True)).link == "queue"
    assert next_step(replace(READY, pretrained=True)).notes == []


def test_a_running_job_says_so_and_asks_for_nothing_else() -> None:
    step = next_step(replace(READY, running_jobs=("pretrain",), labels_since_model=50))

    assert step.job_kind == "" and step.reason.startswith("Pretraining is running")


def test_the_epochs_placeholder_shows_the_presets_numbers() -> None:
    assert {"cpu": cpu_preset().epochs, "accelerator": gpu_preset().epochs} == PRESET_EPOCHS


def test_the_epochs_placeholder_of_an_imagenet_start_is_the_continuation_preset(
    team: Team,
) -> None:
    make_images(team.project, 3)
    cpu = pretrained_continuation_preset(device="cpu", image_count=3).epochs
    gpu = pretrained_continuation_preset(device="cuda", image_count=3).epochs

    assert preset_epochs(team.project) == f"{cpu} on a CPU"
    assert gpu == CONTINUATION_EPOCHS_ON_ACCELERATOR
    for count in (1500, 3000, 9000):
        epochs = pretrained_continuation_preset(device="cpu", image_count=count).epochs
        assert epochs == max(1, round(CONTINUATION_IMAGES_PER_CPU_EPOCH / count))


def test_accepted_predictions_do_not_count_as_labels_of_a_class(team: Team) -> None:
    # given one cat labeled by a person and two dogs from accepted predictions
    cat, dog, _ = team.classes
    images = make_images(team.project, 3)
    label_images(images[:1], cat, team.owner)
    make_classifier(team.project, {images[1]: (dog, 0.99), images[2]: (dog, 0.99)})
    accept_predictions(team.project, team.owner, 0.95)

    state = project_state(team.project, summarize(team.project))

    assert state.human_labels_per_class == {"cat": 1, "dog": 0, "bird": 0}
    assert (state.labels_since_model, state.accepted_since_model) == (0, 2)


def test_a_few_new_labels_are_counted_not_called_up_to_date() -> None:
    step = next_step(replace(READY, pretrained=True, labels_since_model=3, labels_in_model=60))

    assert step.link == "queue"
    assert step.reason.startswith("3 new labels since the last model; training again pays from 12")


def test_after_accepting_predictions_the_model_is_not_called_up_to_date() -> None:
    step = next_step(replace(READY, pretrained=True, accepted_since_model=40))

    assert step.link == "queue"
    assert "has not trained on the 40 predictions you accepted" in step.reason
    assert "up to date" not in step.reason


def test_the_dashboard_shows_the_primary_action_and_what_each_job_does(team: Team) -> None:
    # given a project whose classifier was trained on an encoder that has since changed
    make_images(team.project, 4)
    old, new = (ModelVersion.objects.create(project=team.project, kind=ModelKind.ENCODER,
                                            number=n) for n in (1, 2))  # fmt: skip
    classifier = ModelVersion.objects.create(
        project=team.project, kind=ModelKind.CLASSIFIER, number=1, encoder=old
    )
    team.project.current_encoder, team.project.current_classifier = new, classifier
    team.project.encoder_start = "random"  # SimCLR from scratch: the CPU preset's epochs
    team.project.save()
    for label_class in team.classes:
        label_images(make_images(team.project, 2, start=10 * label_class.pk), label_class,
                     team.owner)  # fmt: skip
    client = Client()
    client.force_login(team.labeler)
    # when a labeler opens the dashboard
    page = client.get(reverse("project-dashboard", args=[team.project.pk])).text
    # then the one primary action says why, and the model panel says it is stale
    assert "The encoder changed: retrain" in page
    assert (
        '<button form="job-form" class="primary" name="kind" value="retrain">Retrain</button>'
        in page
    )
    assert "Trained on an older encoder" in page
    assert "Show the newest classifier&#x27;s predictions (after Train only)" in page
    assert f'placeholder="{PRESET_EPOCHS["cpu"]} on a CPU"' in page


def test_favicon_is_served(db: None) -> None:
    response = Client().get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith("favicon.svg")


def test_pretrain_is_optional_except_where_it_must_come_first() -> None:
    bare = replace(READY, has_representations=False, needs_pretraining=True)

    assert job_buttons(READY)[-1].title == "Pretrain (optional)"
    assert job_buttons(bare)[-1].title == "Pretrain"


def test_the_accept_page_says_how_many_predictions_are_likely_right(team: Team) -> None:
    # given predictions at 0.9, 0.7 and 0.5 from a classifier whose calibration says a
    # prediction that confident is right 100%, 80% and 60% of the time
    images = make_images(team.project, 3)
    cat = team.classes[0]
    predictions = [(cat, 0.9), (cat, 0.7), (cat, 0.5)]
    make_classifier(team.project, dict(zip(images, predictions, strict=True)))
    version = team.project.current_classifier
    version.metrics = {"expected_accuracy": 0.8, "calibration_map": [[0.5, 0.9], [0.6, 1.0]]}
    version.save(update_fields=["metrics"])
    client = Client()
    client.force_login(team.labeler)
    url = reverse("project-accept", kwargs={"project_id": team.project.pk})
    # when the page counts the images at 0.5 and at 0.8
    everything = client.get(url, {"minimum_confidence": "0.5"}).content.decode()
    confident = client.get(url, {"minimum_confidence": "0.8"}).content.decode()
    # then it says 2.4 of the 3 are likely right, and 1 of the 1 at 0.8
    likely = "About <strong>{}</strong> of them are likely right and <strong>{}</strong> wrong"
    assert likely.format(2, 1) in everything
    # with none likely wrong, it does not promise none: the labels are too few to see them
    assert "About <strong>1</strong> of them are likely right: your labels show no mistake" in (
        confident
    )


def test_the_accept_page_says_why_it_cannot_know_how_many_are_right(team: Team) -> None:
    images = make_images(team.project, 2)
    make_classifier(team.project, {image: (team.classes[0], 0.9) for image in images})
    version = team.project.current_classifier
    version.metrics = {"expected_accuracy": None, "labels_for_estimate": 15,
                       "scored_labels": 6, "calibrating_labels": 6}  # fmt: skip
    version.save(update_fields=["metrics"])
    client = Client()
    client.force_login(team.labeler)
    url = reverse("project-accept", kwargs={"project_id": team.project.pk})
    page = client.get(url, {"minimum_confidence": "0.5"}).content.decode()
    assert (
        "How many of them are right is not known yet: like the dashboard&#x27;s expected "
        "accuracy, it is known at 15 labels; it had 6 when the model was trained" in page
    )
