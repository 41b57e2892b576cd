"""A newcomer's first session, in a real browser against the live server and a real worker:
sign in, create a project, upload a zip of 200 images, label 20 with the keyboard
(and undo one more), reload."""

from pathlib import Path

import pytest
from django.contrib.auth.models import User

from labelapp.images.labeling import set_label
from labelapp.images.models import Image, Label
from labelapp.projects.models import LabelClass
from tests.browser.conftest import cifar_zip

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "a long enough passphrase"


def snap(page, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_sign_in_upload_label_with_keyboard_and_reload(
    live_server, start_worker, browser_page, screenshots: Path, tmp_path: Path
) -> None:
    page = browser_page
    User.objects.create_user("alice", password=PASSWORD)
    start_worker()
    archive = cifar_zip(tmp_path / "cifar-200.zip", 200)

    # sign in
    page.goto(live_server.url + "/")
    snap(page, screenshots, "01-sign-in")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=No projects yet")
    snap(page, screenshots, "02-empty-project-list")

    # create a project with three classes
    page.click("text=Create your first project")
    page.fill("input[name=name]", "CIFAR sample")
    page.fill("textarea[name=classes]", "airplane\nautomobile\nbird")
    snap(page, screenshots, "03-new-project")
    page.click("button[type=submit]")
    page.wait_for_selector("h1:has-text('Upload images')")

    # upload the zip; the import runs in the worker process
    page.set_input_files("#pick-files", str(archive))
    snap(page, screenshots, "04-upload-chosen")
    page.click("#upload-button")
    page.wait_for_selector("#upload-status:has-text('Done:')", timeout=120_000)
    assert "200 added" in page.inner_text("#upload-status")
    snap(page, screenshots, "05-upload-done")
    assert Image.objects.count() == 200

    # label 21 images with the keyboard (1, 2, 3 are the classes' keys), then undo one
    page.click("nav.tabs >> text=Images")
    page.wait_for_selector("#grid[data-ready='1']")
    page.wait_for_load_state("networkidle")  # the thumbnails in view have arrived
    snap(page, screenshots, "06-labeling-grid")
    for index in range(21):
        page.keyboard.press("123"[index % 3])
    page.wait_for_selector("#grid[data-saved='21'][data-pending='0']")
    page.keyboard.press("z")
    page.wait_for_selector("#save-status:has-text('Undone')")
    page.wait_for_selector("#grid[data-pending='0']")
    snap(page, screenshots, "07-twenty-labeled")

    # reload: the labels are still there
    page.reload()
    page.wait_for_selector("#grid[data-ready='1']")
    labeled = page.locator(".tile.labeled")
    assert labeled.count() == 20
    assert Image.objects.filter(current_label__isnull=False).count() == 20
    # 21 labels and the undo that cleared the last one: the history keeps all 22
    assert Label.objects.filter(user__username="alice").count() == 22

    # someone else relabels the first image meanwhile: Alice is told, nothing is overwritten
    first = Image.objects.order_by("id").first()
    bob = User.objects.create_user("bob")
    set_label(first, LabelClass.objects.get(name="bird"), bob, first.label_version)
    page.keyboard.press("2")  # the focus is on the first tile after a reload
    page.wait_for_selector("#save-status:has-text('or by someone else): now bird')")
    assert Image.objects.get(pk=first.pk).current_label.name == "bird"
    snap(page, screenshots, "07b-conflict")

    # mouse: click one tile, shift-click two further on, one key labels all three
    airplanes = Image.objects.filter(current_label__name="airplane").count()
    page.click(".tile >> nth=30")
    page.click(".tile >> nth=32", modifiers=["Shift"])
    page.keyboard.press("1")
    page.wait_for_selector("#grid[data-saved='3'][data-pending='0']")
    assert Image.objects.filter(current_label__name="airplane").count() == airplanes + 3

    # every other page a newcomer meets
    page.click("nav.tabs >> text=Overview")
    page.wait_for_selector("text=Labels per class")
    snap(page, screenshots, "08-dashboard")
    for tab, name in [
        ("Label next", "09-label-next"),
        ("Accept predictions", "10-accept-predictions"),
        ("Members", "11-members"),
    ]:
        page.click(f"nav.tabs >> text={tab}")
        page.wait_for_load_state()
        snap(page, screenshots, name)
    page.click("nav.tabs >> text=Images")
    page.wait_for_selector(".tile")
    page.dblclick(".tile >> nth=0")
    page.wait_for_selector(".full-image img")
    snap(page, screenshots, "12-image-detail")
    page.click("header >> text=alice")
    snap(page, screenshots, "13-account")
    page.goto(live_server.url + "/api/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)  # offline Swagger UI
    snap(page, screenshots, "14-api-docs")
