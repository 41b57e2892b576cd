"""A project that starts from ImageNet: representations, a label-next queue and predictions
without any Pretrain run, and Pretrain continuing SimCLR from the backbone (real worker)."""

from datetime import timedelta

import numpy as np
import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from labelapp.images.models import Image, Label, LabelSource
from labelapp.jobs import services
from labelapp.jobs.models import Job, JobKind, JobStatus
from labelapp.learning.embedding import backbone_config, schedule_embedding
from labelapp.learning.jobs import predict_new_images
from labelapp.learning.models import ModelKind, ModelVersion, Prediction, QueueItem
from labelapp.learning.versions import load_representations
from labelapp.projects.models import EncoderStart, Project
from simclr_core.hyperparameters import config_from_dict
from simclr_core.ssl.encoder import pretrained_encoder_config
from simclr_core.ssl.pretrain_config import PretrainConfig
from tests.fixtures.cifar import add_classes
from tests.jobs.helpers import wait_for
from tests.web.people import make_classifier, make_images, make_team

DONE = {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED}
CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def label(image: Image, label_class, user: User) -> None:
    Label.objects.create(image=image, label_class=label_class, user=user, source=LabelSource.PERSON)
    Image.objects.filter(pk=image.pk).update(current_label=label_class, label_version=1)


def test_embed_then_retrain_needs_no_pretraining(start_worker, add_cifar_images) -> None:
    owner = User.objects.create_user("olivia")
    project = Project.objects.create(name="Photos", created_by=owner)
    assert project.encoder_start == EncoderStart.IMAGENET  # the default
    classes = {c.name: c for c in add_classes(project, CLASSES)}
    images = add_cifar_images(project, per_class=3)
    start_worker()

    embed = wait_for(schedule_embedding(project, owner), DONE, 300)

    assert embed.status == JobStatus.SUCCEEDED, embed.error + embed.log_tail
    project.refresh_from_db()
    encoder = project.current_encoder
    assert encoder is not None and encoder.config["source"] == "imagenet"
    _, representations = load_representations(encoder)
    assert representations.shape == (len(images), 1280)
    queued = QueueItem.objects.filter(project=project)
    assert queued.count() == embed.result["queued"] > 0  # typical picks before any label
    assert embed.result["outcome"] == f"Representations of {len(images)} images"
    for image, true_class in images[::3]:  # one label per class
        label(image, classes[true_class], owner)

    retrain = services.enqueue_job(JobKind.RETRAIN, project, owner, method="linear_probe")
    retrain = wait_for(retrain, DONE, 300)

    assert retrain.status == JobStatus.SUCCEEDED, retrain.error + retrain.log_tail
    classifier = ModelVersion.objects.get(pk=retrain.result["model_version"])
    assert classifier.encoder == encoder
    assert Prediction.objects.filter(model_version=classifier).count() == len(images)

    # when 10 more images arrive
    ids_before, before = load_representations(encoder)
    added = add_cifar_images(project, per_class=1, split="test")
    embed = wait_for(schedule_embedding(project, owner), DONE, 300)

    # then only they are embedded, beside the stored representations of the others
    assert embed.status == JobStatus.SUCCEEDED, embed.error + embed.log_tail
    encoder.refresh_from_db()
    ids_after, after = load_representations(encoder)
    assert sorted(ids_after) == sorted([image.pk for image, _ in images + added])
    assert (after[np.isin(ids_after, ids_before)] == before).all()
    # and a Train and predict job, with the classifier's method, gives them predictions
    assert "embedded 10 new images" in embed.log_tail
    assert embed.result["outcome"].startswith("Representations of 10 new images; Train and predict")
    follow = Job.objects.get(pk=embed.result["retrain_job"])
    assert follow.params == {"reason": "10 new images to predict", "method": "linear_probe"}
    follow = wait_for(follow, DONE, 300)
    assert follow.status == JobStatus.SUCCEEDED, follow.error + follow.log_tail
    project.refresh_from_db()
    assert project.current_classifier_id == follow.result["model_version"]
    assert Prediction.objects.filter(model_version_id=follow.result["model_version"]).count() == (
        len(images) + len(added)
    )


def test_pretrain_continues_from_the_backbone_and_reports_what_it_gained(
    start_worker, add_cifar_images
) -> None:
    owner = User.objects.create_user("olivia")
    project = Project.objects.create(name="Photos", created_by=owner)
    classes = {c.name: c for c in add_classes(project, CLASSES[:2])}
    images = [pair for pair in add_cifar_images(project, per_class=4) if pair[1] in classes]
    for image, true_class in images:
        label(image, classes[true_class], owner)
    start_worker()
    embed = wait_for(schedule_embedding(project, owner), DONE, 300)
    assert embed.status == JobStatus.SUCCEEDED, embed.error + embed.log_tail

    pretrain = wait_for(services.enqueue_job(JobKind.PRETRAIN, project, owner, epochs=1), DONE, 600)

    assert pretrain.status == JobStatus.SUCCEEDED, pretrain.error + pretrain.log_tail
    version = ModelVersion.objects.get(pk=pretrain.result["model_version"])
    assert version.config["source"] == "imagenet+simclr"
    assert version.config["pretrain"]["encoder"]["pretrained"] is True
    assert pretrain.result["labels_scored"] == 8
    assert 0 <= pretrain.result["accuracy_before"] <= 1
    assert "accuracy on your 8 labels" in pretrain.result["outcome"]
    project.refresh_from_db()
    adopted = pretrain.result["accuracy_after"] >= pretrain.result["accuracy_before"]
    assert (project.current_encoder == version) == adopted == pretrain.result["adopted"]


@pytest.mark.django_db
def test_new_images_queue_one_embed_job_and_random_starts_wait_for_pretraining() -> None:
    owner = User.objects.create_user("olivia")
    photos = Project.objects.create(name="Photos", created_by=owner)
    scans = Project.objects.create(name="Scans", created_by=owner, encoder_start="random")

    first = schedule_embedding(photos, owner)

    assert first is not None and first.kind == JobKind.EMBED
    assert schedule_embedding(photos, owner) is None  # the waiting job will embed them too
    assert schedule_embedding(scans, owner) is None
    assert Job.objects.filter(kind=JobKind.EMBED).count() == 1


def test_backbone_config_written_without_torch_is_the_pretrained_encoder() -> None:
    config = config_from_dict(PretrainConfig, backbone_config())
    assert config.encoder == pretrained_encoder_config()


@pytest.mark.django_db
def test_images_without_a_prediction_queue_one_train_and_predict_unless_one_covers_them() -> None:
    # given a classifier on the current encoder that predicts 2 of 3 images
    team = make_team()
    project, (cat, _, _) = team.project, team.classes
    images = make_images(project, 3)
    make_classifier(project, {image: (cat, 0.9) for image in images[:2]})
    encoder = ModelVersion.objects.create(project=project, kind=ModelKind.ENCODER, number=1)
    ModelVersion.objects.filter(pk=project.current_classifier_id).update(
        encoder=encoder, config={"requested_method": "linear_probe"}
    )
    Project.objects.filter(pk=project.pk).update(current_encoder=encoder)
    embed = Job.objects.create(kind=JobKind.EMBED, project=project, created_by=team.owner)

    # then one Train and predict, with the classifier's method, is queued for the third
    first = Job.objects.get(pk=predict_new_images(embed))
    assert (first.kind, first.params) == (
        JobKind.RETRAIN,
        {"reason": "1 new image to predict", "method": "linear_probe"},
    )
    assert predict_new_images(embed) is None  # it waits already
    # and a training job running since the images came covers them too
    Job.objects.filter(pk=first.pk).update(status=JobStatus.RUNNING, started_at=timezone.now())
    assert predict_new_images(embed) is None
    # but one that started before they came does not
    earlier = images[2].created_at - timedelta(minutes=1)
    Job.objects.filter(pk=first.pk).update(started_at=earlier)
    assert predict_new_images(embed) is not None
    # and after a new encoder the dashboard asks for a retrain instead
    Job.objects.filter(kind=JobKind.RETRAIN).delete()
    Project.objects.filter(pk=project.pk).update(
        current_encoder=ModelVersion.objects.create(
            project=project, kind=ModelKind.ENCODER, number=2
        )
    )
    assert predict_new_images(embed) is None
