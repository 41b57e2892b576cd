"""Fixtures for the images tests: a project with members of each role, pictures made with PIL."""

import io
import zipfile
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from moto.server import ThreadedMotoServer
from PIL import Image as PillowImage

from labelapp.images.models import UploadBatch
from labelapp.projects.models import LabelClass, Membership, Project, Role
from tests.fixtures.workers import free_port
from tests.images.buckets import s3_client


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def owner(db) -> User:
    # No passwords: tests sign in with force_login, and hashing one costs ~0.3 s.
    return User.objects.create_user("olivia")


@pytest.fixture
def project(owner: User) -> Project:
    project = Project.objects.create(name="Pets", created_by=owner)
    Membership.objects.create(project=project, user=owner, role=Role.OWNER)
    return project


@pytest.fixture
def labeler(project: Project) -> User:
    user = User.objects.create_user("lars")
    Membership.objects.create(project=project, user=user, role=Role.LABELER)
    return user


@pytest.fixture
def viewer(project: Project) -> User:
    user = User.objects.create_user("vera")
    Membership.objects.create(project=project, user=user, role=Role.VIEWER)
    return user


@pytest.fixture
def stranger(db) -> User:
    return User.objects.create_user("sam")


@pytest.fixture
def classes(project: Project) -> dict[str, LabelClass]:
    return {
        name: LabelClass.objects.create(project=project, name=name, key=str(index), position=index)
        for index, name in enumerate(["cat", "dog"], start=1)
    }


def picture_bytes(
    color: tuple[int, ...] = (200, 30, 30),
    size: tuple[int, int] = (40, 30),
    image_format: str = "PNG",
    mode: str = "RGB",
    **save_options: object,
) -> bytes:
    """A small picture, distinct for each colour."""
    buffer = io.BytesIO()
    fill: object = color if len(color) > 1 else color[0]
    PillowImage.new(mode, size, fill).save(buffer, image_format, **save_options)  # type: ignore[arg-type]
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def uploaded(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def report_by_name(batch: UploadBatch) -> dict[str, dict[str, str]]:
    batch.refresh_from_db()
    return {entry["name"]: entry for entry in batch.report}


@pytest.fixture
def empty_batch(project: Project, owner: User) -> UploadBatch:
    return UploadBatch.objects.create(project=project, created_by=owner)


def upload_and_import(project: Project, user: User, files: list[SimpleUploadedFile]) -> UploadBatch:
    """What the web upload and the worker do, run in this process."""
    from labelapp.images.importing import import_staged_batch
    from labelapp.images.uploads import receive_upload

    batch = receive_upload(project, user, files)
    import_staged_batch(batch)
    batch.refresh_from_db()
    return batch


@pytest.fixture
def three_images(project: Project, owner: User) -> list:
    """Three imported pictures: red.png, green.jpg and blue.png, in id order."""
    from labelapp.images.models import Image

    files = [
        uploaded("red.png", picture_bytes((255, 0, 0))),
        uploaded("green.jpg", picture_bytes((0, 255, 0), image_format="JPEG")),
        uploaded("blue.png", picture_bytes((0, 0, 255))),
    ]
    upload_and_import(project, owner, files)
    return list(Image.objects.filter(project=project).order_by("id"))


@pytest.fixture
def moto_endpoint() -> Iterator[str]:
    """A moto S3 server on loopback, with a "photos" bucket (keys: tests/images/buckets.py)."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    client = s3_client(endpoint)
    client.create_bucket(Bucket="photos")
    objects = {
        "set1/red.png": picture_bytes((255, 0, 0)),
        "set1/deeper/green.png": picture_bytes((0, 255, 0)),
        "set1/notes.txt": b"not a picture",
        "set1/big.png": picture_bytes((1, 2, 3), size=(400, 400), image_format="BMP"),
        "set1/": b"",
        "elsewhere/blue.png": picture_bytes((0, 0, 255)),
    }
    for key, data in objects.items():
        client.put_object(Bucket="photos", Key=key, Body=data)
    yield endpoint
    server.stop()
