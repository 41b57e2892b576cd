"""Creating projects and managing who belongs to them."""

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from labelapp.projects.class_lines import ClassSpec
from labelapp.projects.models import EncoderStart, LabelClass, Membership, Project, Role


class MembershipError(ValueError):
    """A membership change that would leave the project in a bad state."""


def create_project(
    name: str,
    description: str,
    classes: list[ClassSpec],
    user: Any,
    encoder_start: str = EncoderStart.IMAGENET,
) -> Project:
    """A project with its classes, owned by ``user``; all or nothing."""
    with transaction.atomic():
        project = Project.objects.create(
            name=name, description=description, created_by=user, encoder_start=encoder_start
        )
        Membership.objects.create(project=project, user=user, role=Role.OWNER)
        LabelClass.objects.bulk_create(
            LabelClass(project=project, name=spec.name, color=spec.color, key=spec.key, position=i)
            for i, spec in enumerate(classes)
        )
    return project


def add_member(project: Project, username: str, role: str) -> Membership:
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise MembershipError(f"There is no user called '{username}'.")
    if Membership.objects.filter(project=project, user=user).exists():
        raise MembershipError(f"{username} is already a member; change their role instead.")
    return Membership.objects.create(project=project, user=user, role=Role(role))


def _lock_project(project_id: int) -> None:
    """Serialises membership changes of one project, so two owners cannot both leave."""
    Project.objects.select_for_update().filter(pk=project_id).first()


def _is_last_owner(membership: Membership) -> bool:
    if membership.role != Role.OWNER:
        return False
    owners = Membership.objects.filter(project_id=membership.project_id, role=Role.OWNER)
    return owners.count() == 1


def change_role(membership: Membership, role: str) -> Membership:
    with transaction.atomic():
        _lock_project(membership.project_id)
        if role != Role.OWNER and _is_last_owner(membership):
            raise MembershipError("A project needs at least one owner.")
        membership.role = Role(role)
        membership.save(update_fields=["role"])
    return membership


def remove_member(membership: Membership) -> None:
    with transaction.atomic():
        _lock_project(membership.project_id)
        if _is_last_owner(membership):
            raise MembershipError("A project needs at least one owner.")
        membership.delete()


def delete_project(project: Project) -> None:
    """Removes the project, its images, labels, models and jobs; their files go after the
    commit (``labelapp.images.cleanup``, ``labelapp.learning.cleanup``)."""
    project.delete()
