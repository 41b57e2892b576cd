"""Broken or hostile archives are refused with a clear message and leave nothing behind."""

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from labelapp.images.models import Image
from labelapp.projects.models import Project


def _media_files() -> set[Path]:
    root = Path(settings.MEDIA_ROOT)
    return {path for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def _rewrite(source: Path, target: Path, change: Callable[[str, bytes], bytes | None]) -> Path:
    """A copy of the archive with each member passed through ``change`` (None drops it)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = change(info.filename, old.read(info))
            if data is not None:
                new.writestr(info.filename, data)
    return target


@pytest.fixture
def exported(full_project: Project, tmp_path: Path) -> Path:
    archive = tmp_path / "good.zip"
    call_command("export_project", full_project.pk, archive)
    return archive


def _refused(archive: Path, message: str) -> None:
    projects, files = Project.objects.count(), _media_files()
    with pytest.raises(CommandError, match=message):
        call_command("import_project", archive)
    assert Project.objects.count() == projects
    assert _media_files() == files


@pytest.mark.django_db
def test_a_zip_slip_member_is_refused(exported: Path, tmp_path: Path) -> None:
    hostile = tmp_path / "slip.zip"
    _rewrite(exported, hostile, lambda name, data: data)
    with zipfile.ZipFile(hostile, "a") as archive:
        archive.writestr("../../../tmp/evil.txt", b"owned")
    _refused(hostile, "not part of a project export")


@pytest.mark.django_db
def test_an_absolute_member_name_is_refused(exported: Path, tmp_path: Path) -> None:
    hostile = _rewrite(exported, tmp_path / "abs.zip", lambda name, data: data)
    with zipfile.ZipFile(hostile, "a") as archive:
        archive.writestr("/etc/cron.d/evil", b"* * * * * root true")
    _refused(hostile, "not part of a project export")


@pytest.mark.django_db
def test_an_archive_without_manifest_is_refused(exported: Path, tmp_path: Path) -> None:
    broken = _rewrite(
        exported, tmp_path / "bare.zip", lambda n, d: None if n == "manifest.json" else d
    )
    _refused(broken, "no manifest.json")


@pytest.mark.django_db
def test_an_archive_of_another_version_is_refused(exported: Path, tmp_path: Path) -> None:
    def bump(name: str, data: bytes) -> bytes:
        return (
            json.dumps({"format": "labelapp-project", "version": 99}).encode()
            if name == "manifest.json"
            else data
        )

    _refused(_rewrite(exported, tmp_path / "v99.zip", bump), "version 99")


@pytest.mark.django_db
def test_a_file_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"<html>not a zip</html>")
    _refused(fake, "not a zip archive")


@pytest.mark.django_db
def test_a_dangling_reference_after_files_were_saved_leaves_nothing(
    exported: Path, tmp_path: Path
) -> None:
    # Given an archive whose label history points at an image it does not contain
    def dangle(name: str, data: bytes) -> bytes:
        if name != "tables/labels.jsonl":
            return data
        first, *rest = data.decode().splitlines()
        return "\n".join([json.dumps({**json.loads(first), "image": 987654}), *rest]).encode()

    broken = _rewrite(exported, tmp_path / "dangling.zip", dangle)
    images = Image.objects.count()
    # When it is imported (images and their files come before the labels)
    _refused(broken, "inconsistent")
    # Then no image row and no stored file of the attempt remains
    assert Image.objects.count() == images


@pytest.mark.django_db
def test_a_label_picked_by_an_unknown_strategy_is_refused(exported: Path, tmp_path: Path) -> None:
    def rename(name: str, data: bytes) -> bytes:
        if name != "tables/labels.jsonl":
            return data
        first, *rest = data.decode().splitlines()
        return "\n".join([json.dumps({**json.loads(first), "picked_by": "<b>x"}), *rest]).encode()

    _refused(_rewrite(exported, tmp_path / "picked.zip", rename), "not a known label picked_by")


@pytest.mark.django_db
def test_a_missing_image_file_is_refused(exported: Path, tmp_path: Path) -> None:
    broken = _rewrite(
        exported, tmp_path / "nofile.zip", lambda n, d: None if n.endswith("/thumbnail") else d
    )
    _refused(broken, "lacks the file")


@pytest.mark.django_db
def test_garbage_in_a_table_is_refused(exported: Path, tmp_path: Path) -> None:
    def garble(name: str, data: bytes) -> bytes:
        return b"{not json\n" if name == "tables/classes.jsonl" else data

    _refused(_rewrite(exported, tmp_path / "garbage.zip", garble), "not JSON")


@pytest.mark.django_db
def test_an_unknown_owner_is_refused_before_reading(exported: Path) -> None:
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        call_command("import_project", exported, owner="nobody")


@pytest.mark.django_db
def test_an_unwritable_destination_is_a_clear_error(full_project: Project, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="does not exist"):
        call_command("export_project", full_project.pk, tmp_path / "missing" / "a.zip")
    with pytest.raises(CommandError, match="no project 999999"):
        call_command("export_project", 999999, tmp_path / "a.zip")


@pytest.mark.django_db
def test_an_archive_whose_owners_are_unknown_needs_an_owner(exported: Path) -> None:
    # Given an instance where neither exported member has an account
    from django.contrib.auth.models import User

    User.objects.filter(username__in=["olga", "lars"]).delete()
    # Then an import without --owner is refused, since nobody could open the project
    _refused(exported, "name one with --owner")
    # And with --owner it goes through
    User.objects.create(username="nina")
    call_command("import_project", exported, owner="nina")
    assert Project.objects.filter(memberships__user__username="nina").count() == 1
