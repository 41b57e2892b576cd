"""Projects and their classes."""

from django.db.models import Count, Q
from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.errors import HttpError

from labelapp.api.access import api_role, api_signed_in, project_access
from labelapp.api.schemas import (
    LabelClassOut,
    Page,
    ProjectDetailOut,
    ProjectIn,
    ProjectOut,
    ProjectPage,
)
from labelapp.ids import DatabaseId
from labelapp.projects import services
from labelapp.projects.class_lines import ClassLinesError, build_class_specs
from labelapp.projects.models import Membership, Project

router = Router(tags=["projects"])


def _project_out(project: Project, role: str) -> ProjectOut:
    return ProjectOut(
        id=project.pk,
        name=project.name,
        description=project.description,
        role=role,
        created_at=project.created_at,
    )


@router.get("/projects", response=ProjectPage, operation_id="list_projects")
@api_signed_in
def list_projects(request: HttpRequest, page: Query[Page]) -> ProjectPage:
    assert request.user.is_authenticated  # the API's authentication guarantees it
    memberships = Membership.objects.filter(user=request.user).select_related("project")
    rows = memberships.order_by("project__name", "project_id")
    items = [_project_out(m.project, m.role) for m in rows[page.offset : page.offset + page.limit]]
    return ProjectPage(count=memberships.count(), items=items)


@router.post("/projects", response={201: ProjectDetailOut}, operation_id="create_project")
@api_signed_in
def create_project(request: HttpRequest, body: ProjectIn) -> Status[ProjectDetailOut]:
    try:
        classes = build_class_specs([(c.name, c.color, c.key) for c in body.classes])
    except ClassLinesError as error:
        raise HttpError(422, str(error)) from None
    name = body.name.strip()
    if not name:
        raise HttpError(422, "Give the project a name.")
    project = services.create_project(name, body.description, classes, request.user)
    return Status(201, _project_detail(project, "owner"))


def _project_detail(project: Project, role: str) -> ProjectDetailOut:
    counts = project.images.aggregate(
        images=Count("id"), labeled=Count("id", filter=Q(current_label__isnull=False))
    )
    classes = [LabelClassOut.from_orm(c) for c in project.classes.all()]
    return ProjectDetailOut(**_project_out(project, role).model_dump(), **counts, classes=classes)


@router.get("/projects/{project_id}", response=ProjectDetailOut, operation_id="get_project")
@api_role("viewer")
def get_project(request: HttpRequest, project_id: DatabaseId) -> ProjectDetailOut:
    access = project_access(request)
    return _project_detail(access.project, access.role)


@router.delete("/projects/{project_id}", response={204: None}, operation_id="delete_project")
@api_role("owner")
def delete_project(request: HttpRequest, project_id: DatabaseId) -> Status[None]:
    services.delete_project(project_access(request).project)
    return Status(204, None)


@router.get(
    "/projects/{project_id}/classes", response=list[LabelClassOut], operation_id="list_classes"
)
@api_role("viewer")
def list_classes(request: HttpRequest, project_id: DatabaseId) -> list[LabelClassOut]:
    return [LabelClassOut.from_orm(c) for c in project_access(request).project.classes.all()]
