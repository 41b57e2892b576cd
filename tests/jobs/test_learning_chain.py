"""Pretrain, train and predict on 500 CIFAR-10 images with a real worker (production mode)."""

from django.contrib.auth.models import User

from labelapp.images.models import Image, Label, LabelSource
from labelapp.jobs import services
from labelapp.jobs.models import JobKind, JobStatus
from labelapp.learning.models import ModelKind, ModelVersion, Prediction, QueueItem
from labelapp.projects.models import Project
from tests.fixtures.cifar import add_classes
from tests.jobs.helpers import wait_for

DONE = {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED}


def label(image: Image, label_class, user: User) -> None:
    Label.objects.create(image=image, label_class=label_class, user=user, source=LabelSource.PERSON)
    Image.objects.filter(pk=image.pk).update(current_label=label_class, label_version=1)


def test_pretrain_train_predict_chain(start_worker, add_cifar_images) -> None:
    owner = User.objects.create_user("olivia")
    project = Project.objects.create(name="CIFAR", created_by=owner, encoder_start="random")
    classes = {c.name: c for c in add_classes(project, ["airplane", "automobile", "bird", "cat",
               "deer", "dog", "frog", "horse", "ship", "truck"])}  # fmt: skip
    images = add_cifar_images(project, per_class=50)
    start_worker()

    pretrain = wait_for(services.enqueue_job(JobKind.PRETRAIN, project, owner, epochs=2), DONE, 300)
    assert pretrain.status == JobStatus.SUCCEEDED, pretrain.error + pretrain.log_tail
    assert QueueItem.objects.filter(project=project).count() == 50  # cold-start picks
    assert all(item.reason for item in QueueItem.objects.filter(project=project))
    for image, true_class in images[::25]:  # two labels per class
        label(image, classes[true_class], owner)

    retrain = wait_for(services.enqueue_job(JobKind.RETRAIN, project, owner), DONE, 300)

    assert retrain.status == JobStatus.SUCCEEDED, retrain.error + retrain.log_tail
    project.refresh_from_db()
    classifier = ModelVersion.objects.get(pk=retrain.result["model_version"])
    assert classifier.kind == ModelKind.CLASSIFIER
    assert project.current_classifier == classifier
    assert Prediction.objects.filter(model_version=classifier).count() == 500
    assert set(classifier.metrics) >= {"accuracy", "confusion_matrix", "method", "labels"}
    labeled_ids = set(
        Image.objects.filter(current_label__isnull=False).values_list("id", flat=True)
    )
    queued_ids = set(QueueItem.objects.filter(project=project).values_list("image_id", flat=True))
    assert queued_ids and not queued_ids & labeled_ids

    # 20 optimizer steps instead of 300 per run (two folds and the refit): what is checked is
    # that the job fine-tunes and stores the result, not how good the classifier gets.
    fine_tuned = wait_for(
        services.enqueue_job(JobKind.TRAIN, project, owner, method="fine_tune", fine_tune_steps=20),
        DONE,
        300,
    )

    assert fine_tuned.status == JobStatus.SUCCEEDED, fine_tuned.error + fine_tuned.log_tail
    version = ModelVersion.objects.get(pk=fine_tuned.result["model_version"])
    assert version.config["method"] == "fine_tune"
    assert set(version.metrics["cross_validated_accuracy"]) == {"fine_tune"}
    predict = wait_for(services.enqueue_job(JobKind.PREDICT, project, owner), DONE, 300)
    assert predict.status == JobStatus.SUCCEEDED, predict.error + predict.log_tail
    assert Prediction.objects.filter(model_version=version).count() == 500
