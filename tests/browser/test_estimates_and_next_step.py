"""Issue 13 items 1 and 5 in a real browser, with a real worker: the dashboard names one
next step and why, accepting 300 confident predictions does not raise the estimate, and
the pages say how many labels a person gave were scored."""

import re
import time
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User

from labelapp.jobs.models import Job
from labelapp.projects.class_lines import parse_class_lines
from labelapp.projects.services import create_project
from tests.fixtures.workers import wait_for_ping
from tests.insights.builders import label_images, make_encoder
from tests.simclr_core.test_scoring_human_labels import hard_people_easy_predictions
from tests.web.people import make_classifier, make_images

pytestmark = [pytest.mark.browser]
PASSWORD = "a long enough passphrase"


def a_project_with_confident_predictions() -> tuple[int, int]:
    """40 hard images labeled by a person, 300 easy ones predicted at 0.99 by a classifier
    made on an older encoder. Returns the project's id and the people's label count."""
    owner = User.objects.create_user("alice", password=PASSWORD)
    project = create_project("Shirts", "", parse_class_lines("shirt\ntrousers"), owner)
    features, truth, people = hard_people_easy_predictions()
    images = make_images(project, len(truth))
    classes = list(project.classes.all())
    for position, label_class in enumerate(classes):
        label_images([images[i] for i in range(people) if truth[i] == position], label_class,
                     owner)  # fmt: skip
    make_classifier(project, {images[i]: (classes[truth[i]], 0.99)
                              for i in range(people, len(truth))})  # fmt: skip
    make_encoder(project, images, features)
    return project.pk, people


def wait_for_job(kind: str, timeout: float = 45.0) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = Job.objects.filter(kind=kind).first()
        if job is not None and job.status in {"succeeded", "failed", "cancelled"}:
            return job
        time.sleep(0.5)
    raise TimeoutError(f"no {kind} job finished within {timeout:.0f} s")


@pytest.mark.django_db(transaction=True)
def test_one_next_step_and_an_estimate_accepted_predictions_do_not_raise(
    live_server: Any, start_worker: Any, browser_page: Any, screenshots: Path
) -> None:
    page = browser_page
    project_id, people = a_project_with_confident_predictions()
    worker = start_worker(wait=False)
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    # sign in; the dashboard names one step: the encoder changed, so retrain
    page.goto(f"{live_server.url}/projects/{project_id}/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#next-step")
    assert "The encoder changed: retrain" in page.inner_text("#next-step")
    assert re.fullmatch(r"\d+ on a CPU", page.get_attribute("input[name=epochs]", "placeholder"))
    assert "Show the newest classifier's predictions (after Train only)" in page.inner_text(
        ".job-help"
    )
    page.screenshot(path=str(screenshots / "01-next-step.png"), full_page=True)
    # accept the 300 confident predictions
    page.goto(f"{live_server.url}/projects/{project_id}/accept/?minimum_confidence=0.95")
    assert page.inner_text("#accept-count") == "300"
    page.click("button:has-text('Label these 300 images')")
    page.wait_for_selector("text=Accepted 300 predictions")
    # the primary action retrains; the worker trains on 340 labels
    page.goto(f"{live_server.url}/projects/{project_id}/")
    wait_for_ping(worker.worker_name)
    page.click("#next-step button[name=kind]")
    page.wait_for_url(re.compile(r"#job-\d+$"))  # the dashboard at the new job's row
    job = wait_for_job("retrain")
    assert job.status == "succeeded", job.error + job.log_tail
    page.wait_for_selector(f"#job-{job.pk}.job-succeeded")  # the row says it finished
    assert not page.query_selector(".messages")  # and no banner still says it started
    assert job.result["model_version_number"] == 2
    page.reload()
    panel = page.inner_text("#current-model")
    assert "340 labels" in panel and f"{people} labels a person gave" in panel
    assert "by the same method trained on them alone (not on the 300 accepted)" in panel
    accuracy = int(re.search(r"(\d+)%", panel.split("Accuracy")[1]).group(1))
    assert accuracy < 90, panel  # the model's own easy answers would have made it ~97%
    assert "Label next" in page.inner_text("#next-step")  # up to date: no new labels
    page.screenshot(path=str(screenshots / "02-after-training.png"), full_page=True)
    # the quality page says what it scored
    page.click("text=model quality")
    scored = page.inner_text("#version-2 .scored-labels")
    assert f"Scored on the {people} labels a person gave" in scored
    assert "300 accepted predictions it also trained on were not scored" in scored
    assert "every figure below is of the same method trained on your labels alone" in scored
    page.screenshot(path=str(screenshots / "03-quality.png"), full_page=True)
    # no page asked for anything missing: the favicon included
    assert page.request.get(f"{live_server.url}/favicon.ico").ok
    assert not missing, missing
