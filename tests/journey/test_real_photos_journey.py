"""A newcomer with real photos, in headless Chromium against `labelapp run`: create a project
with the default (ImageNet) start, upload a zip of sign-language digit photos, see the Embed
job run by itself, label what the label-next queue offers (a simulated person who knows the
true classes), press the dashboard's primary action to train, and score the predictions on
the photos nobody labeled. No Pretrain run in CI.

CI uses 30 photos per class; `LABELAPP_PHOTO_JOURNEY_PER_CLASS=0` takes every photo (2,062)
and prints the figures for the closing note; `LABELAPP_PHOTO_JOURNEY_SHARES=26,15,12,10,9,8,7,5,4,4`
makes the classes unbalanced like the clothing photos of issue 12 (the largest share keeps as
many photos as the smallest class has, the others a part in ratio).
`LABELAPP_PHOTO_JOURNEY_PRETRAIN=1` then also presses Pretrain (SimCLR continued on the
photos) after the last labels, retrains if the new encoder was kept, and scores again.
Screenshots go to the journey's folder."""

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from benchmarks.datasets import datasets_directory
from tests.fixtures.browser import screenshot_folder
from tests.journey.app import ADMIN_PASSWORD, RunningApp, anonymous_zip
from tests.journey.test_newcomer_journey import job_row_text, start_job, watch_job

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARCHIVE = datasets_directory() / "sign-digits-jpeg.tar.gz"
PER_CLASS = int(os.environ.get("LABELAPP_PHOTO_JOURNEY_PER_CLASS", "30"))
SHARES = tuple(
    float(s) for s in os.environ.get("LABELAPP_PHOTO_JOURNEY_SHARES", "").split(",") if s
)
PRETRAIN = os.environ.get("LABELAPP_PHOTO_JOURNEY_PRETRAIN") == "1"
BUDGETS = (20, 50)  # labels in all: 2 and 5 per class on average
# 10 classes (chance 10%). On these 300 photos the ImageNet start scored 38-43% at 20
# labels and 56-60% at 50 in trial runs; random weights with no Pretrain stay near chance.
MINIMUM_ACCURACY = {20: 0.25, 50: 0.45}


def test_real_photos_journey(app: RunningApp, page: Any, tmp_path: Path) -> None:
    screenshots = screenshot_folder(tmp_path, "real-photos")
    truth = anonymous_zip(
        ARCHIVE,
        tmp_path / "photos.zip",
        PER_CLASS,
        ("train", "test"),
        prefix="photo",
        shares=SHARES,
    )
    classes = sorted(set(truth.values()))

    def snap(name: str) -> None:
        page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)

    page.goto(app.base_url + "/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.click("text=Create your first project")
    page.fill("input[name=name]", "Sign digits")
    page.fill("textarea[name=classes]", "\n".join(classes))
    assert page.input_value("select[name=encoder_start]") == "imagenet"  # the default
    snap("01-new-project")
    page.click("button[type=submit]")

    # upload; the Embed job follows by itself and fills the label-next queue
    page.set_input_files("#pick-files", str(tmp_path / "photos.zip"))
    page.click("#upload-button")
    page.wait_for_selector("#upload-status:has-text('Done:')", timeout=600_000)
    page.click("nav.tabs >> text=Overview")
    page.wait_for_selector("#jobs-panel tr[data-job-id]")
    embed = wait_for_kind(page, "Compute representations")
    status, seen = watch_job(page, embed, timeout=1800, mid_run=lambda: snap("02-embedding"))
    assert status == "succeeded", job_row_text(page, embed)
    assert seen, "the Embed job never showed its progress"
    snap("03-embedded")

    labeled: list[str] = []
    figures = []
    for budget in BUDGETS:
        label_from_queue(page, truth, labeled, budget)
        page.click("nav.tabs >> text=Overview")
        train = start_job(page, "retrain")
        status, _ = watch_job(page, train, timeout=1800)
        assert status == "succeeded", job_row_text(page, train)
        snap(f"04-trained-{budget}-labels")
        shown = page.locator("tr:has-text('Expected accuracy')").inner_text()
        figures.append((budget, prediction_accuracy(app.data_dir, truth, set(labeled)), shown))

    for budget, (accuracy, scored), shown in figures:
        print(f"{budget} labels: {accuracy:.1%} correct on the {scored} photos nobody labeled;")
        print("    the dashboard: " + " ".join(shown.split()))
    assert all(accuracy >= MINIMUM_ACCURACY[budget] for budget, (accuracy, _), _ in figures)
    if PRETRAIN:
        pretrain_and_score(app, page, truth, labeled, snap)
    print_job_times(app.data_dir)


def pretrain_and_score(
    app: RunningApp, page: Any, truth: dict[str, str], labeled: list[str], snap: Any
) -> None:
    """Pretrain from the jobs panel, then retrain on the new encoder if it was kept."""
    page.click("nav.tabs >> text=Overview")
    pretrain = start_job(page, "pretrain")
    status, _ = watch_job(page, pretrain, timeout=3600)
    assert status == "succeeded", job_row_text(page, pretrain)
    print("Pretrain:", job_row_text(page, pretrain).replace("\n", " "))
    snap("05-pretrained")
    page.reload()  # the next step as it stands now: Retrain if the new encoder was kept
    if page.query_selector(".next-step button[value=retrain]"):
        train = start_job(page, "retrain")
        status, _ = watch_job(page, train, timeout=1800)
        assert status == "succeeded", job_row_text(page, train)
        snap("06-retrained-on-the-adapted-encoder")
    accuracy, scored = prediction_accuracy(app.data_dir, truth, set(labeled))
    print(f"after Pretrain: {accuracy:.1%} correct on the {scored} photos nobody labeled")


def wait_for_kind(page: Any, kind_text: str, timeout_ms: int = 120_000) -> int:
    """The id of the newest job whose row names ``kind_text`` (it may still be queued)."""
    row = page.wait_for_selector(
        f"#jobs-panel tr[data-job-id]:has-text('{kind_text}')", timeout=timeout_ms
    )
    return int(row.get_attribute("data-job-id"))


def label_from_queue(page: Any, truth: dict[str, str], labeled: list[str], total: int) -> None:
    """Label the label-next queue's picks in order, as a person would, until ``total``."""
    while len(labeled) < total:
        page.click("nav.tabs >> text=Label next")
        page.wait_for_selector("#grid[data-ready='1']")
        page.wait_for_load_state("networkidle")
        keys = {
            c["name"]: c["key"] for c in json.loads(page.inner_text("#labeling-config"))["classes"]
        }
        offered = page.eval_on_selector_all("#grid .tile img", "images => images.map(i => i.alt)")
        fresh = offered[: total - len(labeled)]
        assert fresh and not set(fresh) & set(labeled), (fresh, labeled)
        for name in fresh:  # the first tile has the focus; each label moves it on
            page.keyboard.press(keys[truth[name]])
        labeled.extend(fresh)
        page.wait_for_selector(f"#grid[data-saved='{len(fresh)}'][data-pending='0']")


def print_job_times(data_dir: Path) -> None:
    """Each job's wall time, from the rows the worker wrote."""
    with sqlite3.connect(data_dir / "labelapp.sqlite3") as database:
        rows = database.execute(
            """SELECT id, kind, status, (julianday(finished_at) - julianday(started_at)) * 86400
               FROM jobs_job ORDER BY id"""
        ).fetchall()
    for job_id, kind, status, seconds in rows:
        print(f"job {job_id} {kind}: {status} in {seconds or 0:.0f} s")


def prediction_accuracy(
    data_dir: Path, truth: dict[str, str], labeled: set[str]
) -> tuple[float, int]:
    """Share of the current classifier's predictions that are right, on unlabeled photos."""
    with sqlite3.connect(data_dir / "labelapp.sqlite3") as database:
        rows = database.execute(
            """SELECT i.original_name, c.name FROM learning_prediction p
               JOIN images_image i ON i.id = p.image_id
               JOIN projects_labelclass c ON c.id = p.predicted_class_id
               JOIN projects_project r ON r.id = i.project_id
               WHERE p.model_version_id = r.current_classifier_id"""
        ).fetchall()
    scored = [(name, predicted) for name, predicted in rows if name not in labeled]
    right = sum(truth[name] == predicted for name, predicted in scored)
    return right / max(len(scored), 1), len(scored)
