"""Export a project, delete it, import the archive: everything comes back."""

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from labelapp.projects.models import Membership, Project, Role
from tests.backup.project_snapshot import snapshot


@pytest.mark.django_db
def test_an_exported_project_imports_with_every_row_and_file(
    full_project: Project, tmp_path: Path
) -> None:
    # Given a project with images, label history, models, predictions and a queue
    before = snapshot(full_project)
    archive = tmp_path / "project.zip"
    # When it is exported, deleted and imported again
    call_command("export_project", full_project.pk, archive)
    full_project.delete()
    call_command("import_project", archive)
    # Then the new project holds the same data, file bytes and history order included
    imported = Project.objects.get()
    assert imported.pk != full_project.pk
    assert snapshot(imported) == before
    assert len(before["images"]) == 20 and len(before["labels"]) == 16
    assert len(before["predictions"]) == 20 and len(before["queue"]) == 5
    assert len(before["kept_labels"]) == 1


@pytest.mark.django_db
def test_an_import_beside_the_original_remaps_every_reference(
    full_project: Project, tmp_path: Path
) -> None:
    # Given an exported project that stays in place
    archive = tmp_path / "project.zip"
    call_command("export_project", full_project.pk, archive)
    # When it is imported into the same instance
    call_command("import_project", archive)
    # Then the copy refers only to its own classes, images and versions
    copy = Project.objects.exclude(pk=full_project.pk).get()
    assert snapshot(copy) == snapshot(full_project)
    own_classes = {str(pk) for pk in copy.classes.values_list("pk", flat=True)}
    for prediction in copy.model_versions.get(kind="classifier").predictions.all():
        assert set(prediction.probabilities) == own_classes
        assert prediction.image.project_id == copy.pk


@pytest.mark.django_db
def test_the_owner_option_makes_a_local_user_owner(full_project: Project, tmp_path: Path) -> None:
    # Given an archive and a user of this instance who was not in the project
    archive = tmp_path / "project.zip"
    call_command("export_project", full_project.pk, archive)
    newcomer = User.objects.create(username="nina")
    # When the archive is imported with --owner nina
    call_command("import_project", archive, owner="nina")
    # Then nina owns the copy and the exported members keep their roles
    copy = Project.objects.exclude(pk=full_project.pk).get()
    roles = {m.user.username: m.role for m in Membership.objects.filter(project=copy)}
    assert roles == {"nina": Role.OWNER, "olga": Role.OWNER, "lars": Role.LABELER}
    assert newcomer.pk in copy.memberships.values_list("user_id", flat=True)
