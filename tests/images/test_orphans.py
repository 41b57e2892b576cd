"""Files that no row refers to are found and removed; everything else stays."""

import io
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from labelapp.images.orphans import find_orphan_files
from labelapp.images.storing import image_path, thumbnail_path
from labelapp.images.uploads import receive_upload
from tests.images.conftest import picture_bytes, uploaded

NOW = timedelta(0)


def leave_orphans(project) -> list[str]:
    """What a job killed between writing the files and creating the row leaves behind."""
    names = [image_path(project.pk, "ee" * 32, "png"), thumbnail_path(project.pk, "ee" * 32)]
    for name in names:
        default_storage.save(name, ContentFile(b"x"))
    return names


def test_files_of_a_killed_import_are_found(project, three_images):
    orphans = leave_orphans(project)

    assert sorted(find_orphan_files(NOW)) == sorted(orphans)


def test_young_files_are_left_alone(project, three_images):
    leave_orphans(project)

    assert list(find_orphan_files(timedelta(hours=1))) == []


def test_staging_of_a_waiting_upload_is_kept(project, owner):
    receive_upload(project, owner, [uploaded("a.png", picture_bytes())])

    assert list(find_orphan_files(NOW)) == []


def test_command_removes_orphans_and_keeps_images(project, three_images):
    orphans = leave_orphans(project)
    output = io.StringIO()

    call_command("remove_orphan_files", "--min-age-minutes", "0", stdout=output)

    assert not any(default_storage.exists(name) for name in orphans)
    assert all(default_storage.exists(image.file.name) for image in three_images)
    assert output.getvalue().splitlines()[-1] == "2 orphan files removed."
