"""Two jobs of one project that replace its label-next queue at once leave one queue (two
pretrainings, or Train and predict beside a Pretrain, both end by refreshing it)."""

import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from django.db import connection
from django.db.models import Count

from labelapp.images.models import Image
from labelapp.learning import label_queue
from labelapp.learning.models import QueueItem
from labelapp.projects.models import Project

pytestmark = pytest.mark.django_db(transaction=True)


def make_images(project: Project, count: int) -> np.ndarray:
    images = Image.objects.bulk_create(
        Image(project=project, file=f"q/{n}.png", content_hash=f"{n:064d}", width=8, height=8,
              format="PNG", original_name=f"{n}.png")
        for n in range(count)
    )  # fmt: skip
    return np.array([image.pk for image in images], dtype=np.int64)


def in_a_thread(name: str, work: Callable[[], Any]) -> threading.Thread:
    def run() -> None:
        try:
            work()
        finally:
            connection.close()  # each thread has its own database connection

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


def someone_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return bool(cursor.fetchone()[0])


def test_two_refreshes_at_once_leave_one_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    project = Project.objects.create(name="Queue")
    image_ids = make_images(project, 10)
    representations = np.random.default_rng(0).normal(size=(10, 8)).astype(np.float32)
    label_queue.refresh_queue(project, image_ids, representations)  # the queue before both jobs
    inside, go_on = threading.Event(), threading.Event()
    bulk_create = QueueItem.objects.bulk_create

    def first_waits_inside(items: Any, **options: Any) -> Any:
        if threading.current_thread().name == "first":  # between its delete and its insert
            inside.set()
            assert go_on.wait(30)
        return bulk_create(items, **options)

    monkeypatch.setattr(QueueItem.objects, "bulk_create", first_waits_inside)

    def refresh() -> None:
        label_queue.refresh_queue(Project.objects.get(pk=project.pk), image_ids, representations)

    first = in_a_thread("first", refresh)
    assert inside.wait(30)
    second = in_a_thread("second", refresh)
    deadline = time.monotonic() + 30
    while second.is_alive() and not someone_waits_for_a_lock() and time.monotonic() < deadline:
        time.sleep(0.05)  # until the second replacement has started and waits for the first
    go_on.set()
    first.join(30)
    second.join(30)

    queued = QueueItem.objects.filter(project=project)
    assert queued.count() == 10
    assert not queued.values("image").annotate(times=Count("id")).filter(times__gt=1).exists()
