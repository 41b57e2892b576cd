"""``manage.py import_folder``: a server folder goes through the same checks as an upload."""

import io
import os

import pytest
from django.core.management import CommandError, call_command

from labelapp.images.models import Image
from tests.images.conftest import picture_bytes, zip_bytes


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "photos"
    (root / "cats").mkdir(parents=True)
    (root / "cats" / "tom.png").write_bytes(picture_bytes((1, 1, 1)))
    (root / "dog.jpg").write_bytes(picture_bytes((2, 2, 2), image_format="JPEG"))
    (root / "more.zip").write_bytes(zip_bytes({"birds/tweety.png": picture_bytes((3, 3, 3))}))
    (root / "notes.txt").write_text("not a picture")
    outside = tmp_path / "secret.png"
    outside.write_bytes(picture_bytes((4, 4, 4)))
    os.symlink(outside, root / "link.png")
    return root


def run_import(*args) -> str:
    output = io.StringIO()
    call_command("import_folder", *args, stdout=output, stderr=io.StringIO())
    return output.getvalue()


def test_folder_images_and_archives_are_imported(project, folder):
    output = run_import(str(project.pk), str(folder))

    names = set(Image.objects.filter(project=project).values_list("original_name", flat=True))
    assert names == {"cats/tom.png", "dog.jpg", "birds/tweety.png"}
    assert output.splitlines()[-2].endswith("3 added, 0 duplicates, 2 rejected.")
    assert output.splitlines()[-1].endswith("to compute their representations.")


def test_bad_files_and_links_are_reported(project, folder):
    output = run_import(str(project.pk), str(folder))

    assert "rejected  link.png  Symbolic links are not followed; skipped." in output
    assert "rejected  notes.txt  This is not an image we can read" in output


def test_unknown_project_is_an_error(db, folder):
    with pytest.raises(CommandError, match="no project with id 999"):
        run_import("999", str(folder))


def test_missing_folder_is_an_error(project, tmp_path):
    with pytest.raises(CommandError, match="is not a folder"):
        run_import(str(project.pk), str(tmp_path / "nowhere"))
