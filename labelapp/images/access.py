"""Who may fetch a project's pictures and exports: any member, whatever the role.

A signed-in user who is not a member gets 404, never 403, so they cannot learn that the
project or the image exists; an anonymous visitor is sent to the sign-in page.
"""

from typing import Any

from django.http import Http404

from labelapp.projects.models import Membership, Project


class SignInRequired(Exception):
    """The visitor is anonymous; the view answers with the sign-in page."""


def member_project(user: Any, project_id: int) -> Project:
    """The project, when ``user`` is one of its members; raises Http404 otherwise."""
    if not user.is_authenticated:
        raise SignInRequired()
    membership = (
        Membership.objects.select_related("project")
        .filter(project_id=project_id, user=user)
        .first()
    )
    if membership is None:
        raise Http404("No such project.")
    return membership.project
