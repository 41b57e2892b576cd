"""The upload page's "label images by their folder" checkbox reaches the import."""

import time
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from labelapp.images.models import UploadBatch
from labelapp.projects.models import Membership, Project, Role
from tests.images.conftest import picture_bytes, zip_bytes

pytestmark = [pytest.mark.browser]
PASSWORD = "a long enough passphrase"


@pytest.mark.django_db(transaction=True)
def test_the_checkbox_asks_for_folder_labels(live_server, browser_page, tmp_path: Path) -> None:
    page = browser_page
    owner = User.objects.create_user("alice", password=PASSWORD)
    project = Project.objects.create(name="Pets", created_by=owner)
    Membership.objects.create(project=project, user=owner, role=Role.OWNER)
    archive = tmp_path / "pets.zip"
    archive.write_bytes(zip_bytes({"cat/1.png": picture_bytes((9, 9, 9))}))
    page.goto(live_server.url + "/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Pets")  # signed in, on the project list

    page.goto(f"{live_server.url}/projects/{project.pk}/upload/")
    page.set_input_files("#pick-files", str(archive))
    page.check("#labels-from-folders")
    page.click("#upload-button")

    deadline = time.monotonic() + 20
    while not UploadBatch.objects.filter(project=project).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert UploadBatch.objects.get(project=project).labels_from_folders is True
