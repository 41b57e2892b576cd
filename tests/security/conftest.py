"""A project whose every free-text field holds script payloads, and its owner."""

import io

import pytest
from django.contrib.auth.models import User
from PIL import Image as PILImage

from labelapp.images.models import Image, Label, LabelSource, UploadBatch
from labelapp.learning.models import ModelKind, ModelVersion, Prediction, QueueItem
from labelapp.projects.models import Membership, Project, Role
from tests.fixtures.cifar import add_classes, add_image

PAYLOADS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>')
HOSTILE = "".join(PAYLOADS)


@pytest.fixture(autouse=True)
def media_in_tmp(settings: object, tmp_path: object) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"  # type: ignore[attr-defined, operator]


def picture(color: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (16, 16), color).save(buffer, "JPEG")
    return buffer.getvalue()


def _user(username: str) -> User:
    user = User(username=username, first_name=HOSTILE, last_name=HOSTILE)
    user.set_unusable_password()
    user.save()
    return user


@pytest.fixture
def owner(db: None) -> User:
    return _user("owner")


@pytest.fixture
def hostile_project(owner: User) -> Project:
    """Payloads in the project, a class, a member's name, image names, the upload report,
    the label history, the queue reason and the model metrics."""
    project = Project.objects.create(name=HOSTILE, description=HOSTILE, created_by=owner)
    Membership.objects.create(project=project, user=owner, role=Role.OWNER)
    evil = _user(PAYLOADS[0][:30] + PAYLOADS[1][:30])
    Membership.objects.create(project=project, user=evil, role=Role.LABELER)
    hostile_class, plain = add_classes(project, [PAYLOADS[0], PAYLOADS[1]])
    entry = {"name": HOSTILE, "status": "rejected", "message": HOSTILE}
    batch = UploadBatch.objects.create(project=project, created_by=evil, report=[entry], rejected=1)
    images = [add_image(project, picture((n * 40, 10, 10)), f"{HOSTILE}{n}.jpg") for n in range(4)]
    Image.objects.filter(pk__in=[i.pk for i in images]).update(batch=batch)
    for image in images[:2]:
        Label.objects.create(
            image=image, label_class=hostile_class, user=evil, source=LabelSource.PERSON
        )
        Image.objects.filter(pk=image.pk).update(current_label=hostile_class, label_version=1)
    version = ModelVersion.objects.create(
        project=project, kind=ModelKind.CLASSIFIER, number=1,
        config={"classes": [hostile_class.pk, plain.pk], "method": HOSTILE},
        metrics={"note": HOSTILE},
    )  # fmt: skip
    for image in images:
        Prediction.objects.create(
            image=image, model_version=version, predicted_class=hostile_class,
            probabilities={str(hostile_class.pk): 0.7, str(plain.pk): 0.3},
            confidence=0.7, margin=0.4, entropy=0.6,
        )  # fmt: skip
    QueueItem.objects.create(
        project=project, image=images[3], rank=0, strategy=PAYLOADS[0], score=1, reason=HOSTILE
    )
    project.current_classifier = version
    project.save()
    return project
