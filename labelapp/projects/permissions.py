"""Who may open which page: one declared rule per view, enforced by the same decorator.

Every view in the URL configuration carries an ``access_rule`` (set by the decorators
below), so the permission matrix test can walk the URLs and check each rule for every
kind of user. Roles are ranked viewer < labeler < owner. A signed-in user who is not a
member of a project gets 404, never 403, so they cannot learn that the project exists.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, Concatenate, ParamSpec, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed

from labelapp.projects.models import Membership, Project, Role

ROLE_RANK = {Role.VIEWER: 1, Role.LABELER: 2, Role.OWNER: 3}

Params = ParamSpec("Params")
ViewFunction = TypeVar("ViewFunction", bound=Callable[..., Any])


@dataclass(frozen=True)
class AccessRule:
    """``audience`` is one of "public", "signed_in", "staff" or "project"."""

    audience: str
    role: str = ""
    methods: tuple[str, ...] = ("GET",)


@dataclass(frozen=True)
class ProjectAccess:
    """A project together with the role the requesting user holds in it."""

    project: Project
    role: str

    def allows(self, role: str) -> bool:
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[Role(role)]

    @property
    def can_label(self) -> bool:
        return self.allows(Role.LABELER)

    @property
    def can_manage(self) -> bool:
        return self.allows(Role.OWNER)


def find_access(user: Any, project_id: int) -> ProjectAccess | None:
    """The user's access to the project, or None when they are not a member."""
    if not user.is_authenticated:
        return None
    membership = (
        Membership.objects.select_related("project")
        .filter(project_id=project_id, user=user)
        .first()
    )
    if membership is None:
        return None
    return ProjectAccess(project=membership.project, role=membership.role)


def _declare(view: ViewFunction, rule: AccessRule) -> ViewFunction:
    view.access_rule = rule  # type: ignore[attr-defined]
    return view


def _method_allowed(request: HttpRequest, methods: tuple[str, ...]) -> bool:
    allowed = {*methods, "HEAD"} if "GET" in methods else set(methods)
    return request.method in allowed


def public(view: ViewFunction, methods: tuple[str, ...] = ("GET",)) -> ViewFunction:
    """Anyone, signed in or not (the sign-in page, health checks)."""
    return _declare(view, AccessRule("public", methods=methods))


def staff_only(view: ViewFunction, methods: tuple[str, ...] = ("GET",)) -> ViewFunction:
    """Declares a view that Django's own staff check already guards (admin, system pages)."""
    return _declare(view, AccessRule("staff", methods=methods))


def signed_in(methods: tuple[str, ...] = ("GET",)) -> Callable[[ViewFunction], ViewFunction]:
    """Any signed-in user; anonymous visitors are sent to the sign-in page."""

    def decorate(view: ViewFunction) -> ViewFunction:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not _method_allowed(request, methods):
                return HttpResponseNotAllowed(methods)
            response: HttpResponse = view(request, *args, **kwargs)
            return response

        return _declare(guarded, AccessRule("signed_in", methods=methods))  # type: ignore[return-value]

    return decorate


def project_role(
    role: str, methods: tuple[str, ...] = ("GET",)
) -> Callable[
    [Callable[Concatenate[HttpRequest, ProjectAccess, Params], HttpResponse]],
    Callable[Concatenate[HttpRequest, int, Params], HttpResponse],
]:
    """Members holding at least ``role`` in the project named by the ``project_id`` URL part.

    The view receives a ``ProjectAccess`` in place of the project id. Anonymous: sign-in
    page; non-member: 404; member with a lower role: 403; other method: 405.
    """
    Role(role)  # fail at import time on a typo

    def decorate(
        view: Callable[Concatenate[HttpRequest, ProjectAccess, Params], HttpResponse],
    ) -> Callable[Concatenate[HttpRequest, int, Params], HttpResponse]:
        @wraps(view)
        def guarded(
            request: HttpRequest, project_id: int, *args: Params.args, **kwargs: Params.kwargs
        ) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            access = find_access(request.user, project_id)
            if access is None:
                raise Http404("No such project.")
            if not access.allows(role):
                raise PermissionDenied(f"This needs the {role} role in {access.project.name}.")
            if not _method_allowed(request, methods):
                return HttpResponseNotAllowed(methods)
            return view(request, access, *args, **kwargs)

        guarded.access_rule = AccessRule("project", role, methods)  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorate
