"""The same picture is stored once per project, however and whenever it arrives."""

import hashlib

from labelapp.images.importing import import_staged_batch
from labelapp.images.models import Image
from labelapp.images.uploads import receive_upload
from labelapp.projects.models import Membership, Project, Role
from tests.images.conftest import (
    picture_bytes,
    report_by_name,
    upload_and_import,
    uploaded,
    zip_bytes,
)

RED = picture_bytes((255, 0, 0))


def test_same_file_twice_in_one_upload_is_stored_once(project, owner):
    batch = upload_and_import(
        project, owner, [uploaded("a.png", RED), uploaded("pack.zip", zip_bytes({"b.png": RED}))]
    )

    report = report_by_name(batch)
    assert report["pack.zip/b.png"] == {
        "name": "pack.zip/b.png",
        "status": "duplicate",
        "message": "Same file as a.png, earlier in this upload.",
    }
    assert Image.objects.filter(project=project).count() == 1


def test_file_already_in_the_project_is_a_duplicate(project, owner):
    upload_and_import(project, owner, [uploaded("a.png", RED)])
    first = Image.objects.get(project=project)

    batch = upload_and_import(project, owner, [uploaded("again.png", RED)])

    assert report_by_name(batch)["again.png"]["message"] == (
        f"Already in the project as image {first.pk} (a.png)."
    )
    assert batch.duplicates == 1


def test_the_content_hash_is_the_sha256_of_the_uploaded_bytes(project, owner):
    upload_and_import(project, owner, [uploaded("a.png", RED)])

    assert Image.objects.get().content_hash == hashlib.sha256(RED).hexdigest()


def test_same_file_in_another_project_is_imported_there_too(project, owner):
    other = Project.objects.create(name="Other")
    Membership.objects.create(project=other, user=owner, role=Role.OWNER)
    upload_and_import(project, owner, [uploaded("a.png", RED)])

    batch = upload_and_import(other, owner, [uploaded("a.png", RED)])

    assert batch.added == 1
    assert Image.objects.count() == 2


def test_running_an_import_again_adds_nothing_new(project, owner):
    batch = receive_upload(
        project, owner, [uploaded("a.png", RED), uploaded("b.png", picture_bytes())]
    )
    staged = list(batch.staged_files)
    import_staged_batch(batch)
    images_before = list(Image.objects.values_list("id", flat=True))
    # As if the job died after importing, before deleting the staging: the rerun finds it all.
    batch.staged_files = staged
    _restage(staged, {"a.png": RED, "b.png": picture_bytes()})

    report = import_staged_batch(batch)

    assert report.counts == {"added": 2, "duplicate": 0, "rejected": 0}
    assert list(Image.objects.values_list("id", flat=True)) == images_before


def _restage(staged, contents):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    for entry in staged:
        default_storage.save(entry["path"], ContentFile(contents[entry["name"]]))


def test_duplicates_are_found_in_projects_too_large_to_preload(project, owner, monkeypatch):
    from labelapp.images import importing

    upload_and_import(project, owner, [uploaded("a.png", RED)])
    monkeypatch.setattr(importing, "PRELOAD_HASH_LIMIT", 0)

    batch = upload_and_import(project, owner, [uploaded("again.png", RED)])

    assert (batch.added, batch.duplicates) == (0, 1)
