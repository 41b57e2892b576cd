"""The decoded-image cache reuses a row only for the same image id and content, and a set once
built never changes, nor goes, under the job that reads it."""

import io

import numpy as np
import pytest
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image as PILImage

from labelapp.images.models import Image
from labelapp.jobs.models import Job, JobKind, JobStatus
from labelapp.learning.dataset_cache import build_image_cache
from labelapp.projects.models import Project

pytestmark = pytest.mark.django_db


def store_picture(name: str, color: tuple[int, int, int]) -> str:
    buffer = io.BytesIO()
    PILImage.new("RGB", (8, 8), color).save(buffer, "PNG")
    return default_storage.save(f"cache-test/{name}.png", ContentFile(buffer.getvalue()))


def cached_pixels(project: Project) -> np.ndarray:
    cache = build_image_cache(project.pk, 4)
    return np.load(cache.images_path)[:, :, 0, 0]  # (images, rgb) of the top-left pixel


def test_a_row_is_reused_only_when_id_and_content_match() -> None:
    owner = User.objects.create_user("cora")
    project = Project.objects.create(name="Cache", created_by=owner)
    red, blue = store_picture("red", (255, 0, 0)), store_picture("blue", (0, 0, 255))
    image = Image.objects.create(
        project=project, file=red, content_hash="a" * 64, width=8, height=8, format="PNG"
    )
    assert cached_pixels(project).tolist() == [[255, 0, 0]]

    default_storage.delete(red)  # a second build must reuse the row: it cannot decode again
    Image.objects.create(
        project=project, file=blue, content_hash="b" * 64, width=8, height=8, format="PNG"
    )
    assert cached_pixels(project).tolist() == [[255, 0, 0], [0, 0, 255]]

    # the same id now names other content, as after a reinstall that restarted the ids
    Image.objects.filter(pk=image.pk).update(file=blue, content_hash="c" * 64)
    assert cached_pixels(project).tolist() == [[0, 0, 255], [0, 0, 255]]


def test_a_built_set_stays_as_it_was_and_only_two_sets_are_kept() -> None:
    owner = User.objects.create_user("cora")
    project = Project.objects.create(name="Cache", created_by=owner)
    colors = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    caches = []
    for number, color in enumerate(colors):
        Image.objects.create(
            project=project, file=store_picture(f"c{number}", color),
            content_hash=f"{number}" * 64, width=8, height=8, format="PNG",
        )  # fmt: skip
        caches.append(build_image_cache(project.pk, 4))

    first = np.load(caches[1].images_path)[:, :, 0, 0].tolist()
    assert first == [[255, 0, 0], [0, 255, 0]]  # the second set, after the third was built
    assert not caches[0].images_path.exists()  # the oldest set is gone
    assert len(list(caches[2].images_path.parent.glob("images_4_*.npy"))) == 2


def add_picture(project: Project, number: int) -> Image:
    return Image.objects.create(
        project=project, file=store_picture(f"p{number}", (number, 0, 0)),
        content_hash=f"{number}" * 64, width=8, height=8, format="PNG",
    )  # fmt: skip


def test_a_set_that_a_running_job_may_read_is_kept_until_the_job_ends() -> None:
    project = Project.objects.create(name="Cache", created_by=User.objects.create_user("cora"))
    pretraining = Job.objects.create(
        kind=JobKind.PRETRAIN, project=project, status=JobStatus.RUNNING, started_at=timezone.now()
    )
    first = add_picture(project, 1)
    handed_to_pretraining = build_image_cache(project.pk, 4)
    for number in (2, 3):  # uploads, and other jobs of the project that build newer sets
        add_picture(project, number)
        build_image_cache(project.pk, 4)

    assert np.load(handed_to_pretraining.ids_path).tolist() == [first.pk]  # read last

    Job.objects.filter(pk=pretraining.pk).update(status=JobStatus.SUCCEEDED)
    add_picture(project, 4)
    newest = build_image_cache(project.pk, 4)
    assert not handed_to_pretraining.images_path.exists()
    assert len(list(newest.images_path.parent.glob("images_4_*.npy"))) == 2
