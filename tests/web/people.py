"""A project and the people around it, one per role, for web and API tests.

Alice owns the project, Bob labels, Carol views, Dave is signed in but not a member.
"""

import io
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image as PILImage

from labelapp.images.models import Image
from labelapp.learning.models import ModelKind, ModelVersion, Prediction
from labelapp.projects.class_lines import parse_class_lines
from labelapp.projects.models import LabelClass, Membership, Project, Role
from labelapp.projects.services import create_project

SHARED_FILE = "images/shared.jpg"
SHARED_THUMBNAIL = "thumbnails/shared.jpg"


@dataclass
class Team:
    project: Project
    owner: User
    labeler: User
    viewer: User
    stranger: User

    @property
    def classes(self) -> list[LabelClass]:
        return list(self.project.classes.all())


def make_user(username: str) -> User:
    user = User(username=username)
    user.set_unusable_password()  # fast: no password hashing; tests use force_login
    user.save()
    return user


def make_team() -> Team:
    owner = make_user("alice")
    project = create_project("Pets", "", parse_class_lines("cat\ndog\nbird"), owner)
    labeler, viewer = make_user("bob"), make_user("carol")
    Membership.objects.create(project=project, user=labeler, role=Role.LABELER)
    Membership.objects.create(project=project, user=viewer, role=Role.VIEWER)
    return Team(project, owner, labeler, viewer, make_user("dave"))


def store_shared_picture() -> None:
    """The one small JPEG that every image made by ``make_images`` points to."""
    buffer = io.BytesIO()
    PILImage.new("RGB", (32, 32), (200, 80, 40)).save(buffer, "JPEG")
    for name in (SHARED_FILE, SHARED_THUMBNAIL):
        if not default_storage.exists(name):
            default_storage.save(name, ContentFile(buffer.getvalue()))


def make_images(project: Project, count: int, start: int = 0) -> list[Image]:
    """Image rows sharing one small file (stored once)."""
    store_shared_picture()
    return Image.objects.bulk_create(
        Image(
            project=project,
            file=SHARED_FILE,
            thumbnail=SHARED_THUMBNAIL,
            content_hash=f"{project.pk:08x}{index:056x}",
            width=32,
            height=32,
            format="JPEG",
            original_name=f"image-{index:05d}.jpg",
        )
        for index in range(start, start + count)
    )


def make_classifier(project: Project, predictions: dict[Image, tuple[LabelClass, float]]) -> None:
    """A current classifier whose predictions are the given (class, confidence) pairs."""
    version = ModelVersion.objects.create(project=project, kind=ModelKind.CLASSIFIER, number=1)
    Prediction.objects.bulk_create(
        Prediction(
            image=image,
            model_version=version,
            probabilities={str(label_class.pk): confidence},
            predicted_class=label_class,
            confidence=confidence,
            margin=confidence / 2,
            entropy=1 - confidence,
        )
        for image, (label_class, confidence) in predictions.items()
    )
    project.current_classifier = version
    project.save(update_fields=["current_classifier"])


@pytest.fixture
def team(db: None) -> Team:
    return make_team()
