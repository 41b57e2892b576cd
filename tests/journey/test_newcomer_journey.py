"""A newcomer's whole journey in headless Chromium against `labelapp run` (the README's first
command): sign in, create a CIFAR-10 project that starts from random weights, upload a zip of
1,000 images, pretrain from the dashboard, label 20 images from the label-next queue with the
keyboard, retrain everything, look at predictions and the new queue, accept confident
predictions, export the CSV.

Only the UI is driven; the SQLite file is read at the end for a few checks."""

import csv
import io
import json
import re
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.browser import screenshot_folder
from tests.journey.app import ADMIN_PASSWORD, RunningApp, anonymous_cifar_zip

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CLASS_NAMES = sorted(
    ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
)
PER_CLASS = 100
MANUAL_LABELS = 20
# Chance is 10%; 20 labels on a SimCLR encoder of 1,000 images do clearly better.
MINIMUM_ACCURACY = 0.15
# Typed into the dashboard's epochs field: about a minute on two idle cores. At 5 epochs the
# encoder was too weak to be clearly better than chance (14.6% once).
PRETRAIN_EPOCHS = 20
PRETRAIN_TIMEOUT = 3600
# After 20 labels the classifier is unsure (its most confident prediction was 0.72 on the
# 20-epoch encoder; 0.1 is chance), so the threshold steps down until some images qualify.
CONFIDENCE_STEPS = ("0.9", "0.7", "0.5", "0.3", "0.2", "0.15", "0.12", "0.11", "0.1")


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    return screenshot_folder(tmp_path, "journey")


def test_newcomer_journey(app: RunningApp, page: Any, screenshots: Path, tmp_path: Path) -> None:
    truth = anonymous_cifar_zip(tmp_path / "cifar-1000.zip", PER_CLASS)

    def snap(name: str, full_page: bool = True) -> None:
        page.screenshot(path=str(screenshots / f"{name}.png"), full_page=full_page)

    # 1. sign in as the admin
    page.goto(app.base_url + "/")
    snap("01-sign-in")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=No projects yet")
    snap("02-no-projects-yet")

    # 2. a project with the ten CIFAR-10 classes
    page.click("text=Create your first project")
    page.fill("input[name=name]", "CIFAR-10 journey")
    page.fill("textarea[name=classes]", "\n".join(CLASS_NAMES))
    # This journey walks the SimCLR-from-scratch path (Pretrain first); the photo journey
    # (test_real_photos_journey.py) walks the default, ImageNet start.
    page.select_option("select[name=encoder_start]", "random")
    snap("03-new-project")
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Upload images')")

    # 3. upload the zip; the worker imports it; thumbnails show on the labeling page
    page.set_input_files("#pick-files", str(tmp_path / "cifar-1000.zip"))
    page.click("#upload-button")
    page.wait_for_selector("#upload-status:has-text('Done:')", timeout=300_000)
    assert "1000 added" in page.inner_text("#upload-status"), page.inner_text("#upload-status")
    snap("04-upload-done")
    page.click("nav.tabs >> text=Images")
    page.wait_for_selector("#grid[data-ready='1']")
    page.wait_for_load_state("networkidle")
    assert page.locator("#grid .tile img").count() > 0
    assert page.evaluate(
        "Array.from(document.querySelectorAll('#grid .tile img'))"
        ".slice(0, 10).every(img => img.complete && img.naturalWidth > 0)"
    )
    snap("05-thumbnails", full_page=False)

    # 4. pretrain from the dashboard and watch its progress move
    page.click("nav.tabs >> text=Overview")
    pretrain_from_dashboard(page, app, snap)

    # 5. label the first 20 images of the label-next queue with the keyboard
    page.click("nav.tabs >> text=Label next")
    page.wait_for_selector("#grid[data-ready='1']")
    page.wait_for_load_state("networkidle")
    snap("08-label-next", full_page=False)
    keys = {c["name"]: c["key"] for c in json.loads(page.inner_text("#labeling-config"))["classes"]}
    picked = page.eval_on_selector_all("#grid .tile img", "images => images.map(i => i.alt)")
    assert len(picked) >= MANUAL_LABELS
    manual = {name: truth[name] for name in picked[:MANUAL_LABELS]}
    for name in picked[:MANUAL_LABELS]:
        page.keyboard.press(keys[truth[name]])
    page.wait_for_selector(f"#grid[data-saved='{MANUAL_LABELS}'][data-pending='0']")
    snap("09-twenty-labeled", full_page=False)

    # 6. retrain everything: train, predict, refresh the queue
    page.click("nav.tabs >> text=Overview")
    assert "No classifier yet" in page.inner_text("#current-model")
    retrain = start_job(page, "retrain")
    status, _ = watch_job(page, retrain, timeout=600)
    assert status == "succeeded", job_row_text(page, retrain)
    # the dashboard updates its model box and counts itself when the job ends
    page.wait_for_function(
        "!document.getElementById('current-model').textContent.includes('No classifier yet')",
        timeout=15_000,
    )
    snap("10-retrained")

    # 7. predictions on the labeling page; uncertain images in the queue
    page.click("nav.tabs >> text=Images")
    page.wait_for_selector("#grid[data-ready='1']")
    page.wait_for_load_state("networkidle")
    badges = page.eval_on_selector_all(
        "#grid .prediction-badge", "badges => badges.map(b => b.textContent)"
    )
    assert badges and all(any(c in badge for c in CLASS_NAMES) for badge in badges), badges
    snap("11-predictions", full_page=False)
    page.click("nav.tabs >> text=Label next")
    page.wait_for_selector("#grid[data-ready='1']")
    page.wait_for_load_state("networkidle")
    reasons = page.eval_on_selector_all("#grid .reason", "rs => rs.map(r => r.textContent)")
    queued = page.eval_on_selector_all("#grid .tile img", "images => images.map(i => i.alt)")
    assert not set(queued) & set(manual), "labeled images are still queued"
    # With a model trained, the default strategy mixes typical images (dense clusters), the
    # classes with the fewest labels ("had only") and the images the model is least sure of
    # ("model torn between ..."). Every pick says why it was chosen.
    assert len(reasons) == len(queued) > 0
    known = ("cluster", "had only", "torn between")
    assert all(any(word in reason for word in known) for reason in reasons), reasons
    snap("12-next-uncertain", full_page=False)

    # 8. accept confident predictions: count first, then confirm
    page.click("nav.tabs >> text=Accept predictions")
    expected = count_acceptable(page)
    snap("13-accept-count")
    page.click(f"button:has-text('Label these {expected} images')")
    page.wait_for_selector(f"text=Accepted {expected} predictions as labels")
    snap("14-accepted", full_page=False)

    # 9. export the CSV and check it
    page.click("nav.tabs >> text=Overview")
    with page.expect_download() as download_info:
        page.click("#export-links >> text=CSV")
    exported = download_info.value.path().read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(exported)))
    check_export(rows, truth, manual, expected)
    check_history(app.data_dir, manual, expected)

    # the labeling page as it looks now (the README's screenshot is one of these)
    page.click("nav.tabs >> text=Images")
    page.wait_for_selector("#grid[data-ready='1']")
    page.wait_for_load_state("networkidle")
    snap("15-labels-and-predictions", full_page=False)

    # 10. near duplicates: the worker stored the pairs after its jobs (none planted here)
    page.click("nav.tabs >> text=Insights")
    page.click("nav.insight-tabs >> text=Near duplicates")
    page.wait_for_selector("h1:has-text('Near duplicates')")
    callouts = " ".join(page.locator(".callout").all_text_contents())  # none when groups show
    assert "has not run yet" not in callouts and "No representations" not in callouts, callouts
    snap("16-near-duplicates", full_page=False)


def pretrain_from_dashboard(page: Any, app: RunningApp, snap: Any) -> None:
    """Start pretraining with the smallest budget the dashboard offers and watch it."""
    if page.locator("input[name=epochs]").count():  # a budget field, where there is one
        page.fill("input[name=epochs]", str(PRETRAIN_EPOCHS))
    pretrain = start_job(page, "pretrain")
    status, seen = watch_job(
        page, pretrain, PRETRAIN_TIMEOUT, mid_run=lambda: snap("06-pretraining")
    )
    snap("07-pretrained")
    assert status == "succeeded", job_row_text(page, pretrain)
    assert len(seen) >= 2, f"the dashboard never showed the progress change: {seen}"
    print(f"pretraining progress seen on the dashboard: {seen[:3]} ... {seen[-2:]}")


def start_job(page: Any, kind: str) -> int:
    """Click a dashboard job button; returns the id of the job it started."""
    before = set(job_ids(page))
    page.click(f"button[name=kind][value={kind}]")
    # the dashboard comes back at the new job's row (#job-<id>), which shows its status
    page.wait_for_url(lambda url: shown_job(url) not in before | {None})
    new = set(job_ids(page)) - before
    assert new == {shown_job(page.url)}, (before, new)
    return new.pop()


def shown_job(url: str) -> int | None:
    found = re.search(r"#job-(\d+)$", url)
    return int(found.group(1)) if found else None


def job_ids(page: Any) -> list[int]:
    ids = page.eval_on_selector_all(
        "#jobs-panel tr[data-job-id]", "rows => rows.map(r => r.dataset.jobId)"
    )
    return [int(job_id) for job_id in ids]


def job_row_text(page: Any, job_id: int) -> str:
    return str(page.inner_text(f"#jobs-panel tr[data-job-id='{job_id}']"))


def watch_job(
    page: Any, job_id: int, timeout: float, mid_run: Any = None
) -> tuple[str, list[tuple[str, str]]]:
    """Watch the dashboard's jobs panel (it refreshes itself) until the job ends; returns
    its final status and the distinct (progress value, message) pairs seen while it ran."""
    seen: list[tuple[str, str]] = []
    deadline = time.monotonic() + timeout
    row = f"#jobs-panel tr[data-job-id='{job_id}']"
    while time.monotonic() < deadline:
        state = page.evaluate(
            """selector => { const row = document.querySelector(selector);
                if (!row) return null;
                const bar = row.querySelector('progress');
                return [row.className, bar ? bar.getAttribute('value') : '',
                        row.querySelector('td:nth-child(3) .small').textContent.trim()]; }""",
            row,
        )
        if state is not None:
            status = state[0].removeprefix("job-")
            if status in {"succeeded", "failed", "cancelled"}:
                return status, seen
            if status == "running" and (state[1], state[2]) not in seen:
                seen.append((state[1], state[2]))
                if mid_run and 0.2 < float(state[1] or 0) < 0.9:
                    mid_run()
                    mid_run = None
        page.wait_for_timeout(500)
    raise TimeoutError(f"job {job_id} still unfinished after {timeout} s: {seen[-3:]}")


def count_acceptable(page: Any) -> int:
    """Lower the confidence step by step, as a person would, until some images qualify."""
    for minimum in CONFIDENCE_STEPS:
        page.fill("input[name=minimum_confidence]", minimum)
        page.click("button:has-text('Count images')")
        page.wait_for_selector("#accept-count, #accept-count-none")
        if page.locator("#accept-count").count():
            print(f"accepting predictions at confidence >= {minimum}")
            return int(page.inner_text("#accept-count"))
    raise AssertionError("no prediction reached confidence 0.1")


def check_export(
    rows: list[dict[str, str]], truth: dict[str, str], manual: dict[str, str], accepted: int
) -> None:
    by_name = {row["original_name"]: row for row in rows}
    assert len(rows) == len(by_name) == len(truth) == 1000
    assert set(by_name) == set(truth)
    assert {name: by_name[name]["label"] for name in manual} == manual
    automatic = [row for name, row in by_name.items() if name not in manual and row["label"]]
    assert len(automatic) == accepted
    assert all(row["label"] == row["predicted_label"] for row in automatic)
    assert all(row["predicted_label"] in CLASS_NAMES for row in rows)
    assert all(0 < float(row["confidence"]) <= 1 and row["model_version_number"] for row in rows)
    unlabeled = [name for name in truth if name not in manual]
    correct = sum(by_name[name]["predicted_label"] == truth[name] for name in unlabeled)
    accuracy = correct / len(unlabeled)
    accepted_correct = sum(row["label"] == truth[row["original_name"]] for row in automatic)
    print(
        f"prediction accuracy on the {len(unlabeled)} images not labeled by hand: "
        f"{accuracy:.1%} (chance 10%); accepted predictions correct: "
        f"{accepted_correct}/{len(automatic)}"
    )
    assert accuracy > MINIMUM_ACCURACY


def check_history(data_dir: Path, manual: dict[str, str], accepted: int) -> None:
    with sqlite3.connect(data_dir / "labelapp.sqlite3") as database:
        sources = dict(
            database.execute("SELECT source, COUNT(*) FROM images_label GROUP BY source").fetchall()
        )
        jobs = database.execute(
            "SELECT kind, status FROM jobs_job WHERE kind IN ('pretrain', 'retrain')"
        ).fetchall()
        picked_by = database.execute(
            "SELECT picked_by, COUNT(*) FROM images_label WHERE source = 'person' GROUP BY 1"
        ).fetchall()
    assert sources == {"person": len(manual), "prediction": accepted}
    # labeled on the "Label next" page before any classifier: the default's typical picks
    assert picked_by == [("default", len(manual))]
    assert sorted(jobs) == [("pretrain", "succeeded"), ("retrain", "succeeded")]
