"""A project with everything an export must carry: images with files, label history,
an encoder and a classifier with files, predictions, a label-next queue, an upload report,
and a reviewed label-error suspect that was kept."""

import io
from datetime import timedelta

import numpy as np
import pytest
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.utils import timezone

from labelapp.images.models import Image, Label, LabelSource, UploadBatch
from labelapp.insights.models import KeptLabel
from labelapp.learning.models import ModelKind, ModelVersion, Prediction, QueueItem
from labelapp.projects.models import Membership, Project, Role
from tests.fixtures.cifar import AddCifarImages, add_classes


def _version(project: Project, kind: str, config: dict[str, object]) -> ModelVersion:
    version = ModelVersion(project=project, kind=kind, number=1, config=config)
    version.metrics = {"accuracy": 0.5, "kind": kind}
    version.weights.save("weights.pt", ContentFile(f"{kind} weights".encode()), save=False)
    version.save()
    return version


def _representations(images: list[Image]) -> ContentFile[bytes]:
    buffer = io.BytesIO()
    vectors = np.arange(len(images) * 4, dtype=np.float32).reshape(len(images), 4)
    np.savez(buffer, image_ids=np.array([i.pk for i in images]), representations=vectors)
    return ContentFile(buffer.getvalue())


@pytest.fixture
def full_project(add_cifar_images: AddCifarImages) -> Project:
    owner = User.objects.create(username="olga")
    labeler = User.objects.create(username="lars")
    project = Project.objects.create(
        name="Birds & <planes>", description="two\nlines", created_by=owner
    )
    Membership.objects.create(project=project, user=owner, role=Role.OWNER)
    Membership.objects.create(project=project, user=labeler, role=Role.LABELER)
    classes = add_classes(project, ["airplane", "bird", "cat"])
    batch = UploadBatch.objects.create(
        project=project,
        created_by=owner,
        added=6,
        report=[{"name": "a.jpg", "status": "added", "message": ""}],
    )
    images = [image for image, _ in add_cifar_images(project, 2)]
    Image.objects.filter(pk__in=[i.pk for i in images[:6]]).update(batch=batch)
    encoder = _version(project, ModelKind.ENCODER, {"pretrain": {"epochs": 1}})
    encoder.representations.save("representations.npz", _representations(images))
    classifier = _version(project, ModelKind.CLASSIFIER, {"classes": [c.pk for c in classes]})
    classifier.encoder = encoder
    classifier.save()
    start = timezone.now() - timedelta(days=3)
    for step, image in enumerate(images[:8]):
        # Two changes each (the second one a clear for every fourth image), in time order.
        first = Label.objects.create(
            image=image,
            label_class=classes[step % 3],
            user=labeler,
            source=LabelSource.PERSON,
            picked_by="margin" if step % 2 else "",
        )
        second = Label.objects.create(
            image=image,
            label_class=None if step % 4 == 0 else classes[(step + 1) % 3],
            user=owner,
            source=LabelSource.PREDICTION,
            model_version=classifier,
        )
        Label.objects.filter(pk=first.pk).update(created_at=start + timedelta(minutes=2 * step))
        Label.objects.filter(pk=second.pk).update(
            created_at=start + timedelta(minutes=2 * step + 1)
        )
        Image.objects.filter(pk=image.pk).update(current_label=second.label_class, label_version=2)
    for rank, image in enumerate(images):
        top = classes[rank % 3]
        probabilities = {str(c.pk): (0.6 if c == top else 0.2) for c in classes}
        Prediction.objects.create(
            image=image,
            model_version=classifier,
            probabilities=probabilities,
            predicted_class=top,
            confidence=0.6,
            margin=0.4,
            entropy=0.95 + rank / 1000,
        )
    for rank, image in enumerate(images[8:13]):
        QueueItem.objects.create(
            project=project,
            image=image,
            rank=rank,
            strategy="uncertainty",
            score=1 - rank / 10,
            reason="<b>close call</b>",
        )
    KeptLabel.objects.create(image=images[1], label_version=2, user=labeler)
    project.current_classifier, project.current_encoder = classifier, encoder
    project.save()
    return project
