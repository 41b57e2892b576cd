"""Project pages: the list, creating one, its dashboard, deleting it."""

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from labelapp.learning.job_options import METHOD_NAMES
from labelapp.projects import dashboard, services
from labelapp.projects.forms import DeleteProjectForm, ProjectForm
from labelapp.projects.job_views import recent_jobs
from labelapp.projects.models import Project
from labelapp.projects.permissions import ProjectAccess, project_role, signed_in


@signed_in()
def project_list(request: HttpRequest) -> HttpResponse:
    assert request.user.is_authenticated  # guaranteed by @signed_in
    projects = (
        Project.objects.filter(memberships__user=request.user)
        .annotate(
            image_count=Count("images", distinct=True),
            labeled_count=Count(
                "images", filter=Q(images__current_label__isnull=False), distinct=True
            ),
        )
        .order_by("name")
    )
    return render(request, "projects/project_list.html", {"projects": projects})


@signed_in(methods=("GET", "POST"))
def project_create(request: HttpRequest) -> HttpResponse:
    form = ProjectForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        project = services.create_project(
            form.cleaned_data["name"],
            form.cleaned_data["description"],
            form.cleaned_data["classes"],
            request.user,
            form.cleaned_data["encoder_start"],
        )
        messages.success(request, f"Created {project.name}. Now upload some images.")
        return redirect("project-upload", project_id=project.pk)
    return render(request, "projects/project_create.html", {"form": form})


@project_role("viewer")
def project_dashboard(request: HttpRequest, access: ProjectAccess) -> HttpResponse:
    summary = dashboard.summarize(access.project)
    context = {
        "access": access,
        "project": access.project,
        "summary": summary,
        "guidance": dashboard.guide(access.project, summary),
        "metrics": dashboard.latest_metrics(access.project, summary.unlabeled),
        "training_methods": METHOD_NAMES.items(),
        "jobs": recent_jobs(access),
    }
    return render(request, "projects/dashboard.html", context)


@project_role("owner", methods=("GET", "POST"))
def project_delete(request: HttpRequest, access: ProjectAccess) -> HttpResponse:
    project = access.project
    form = DeleteProjectForm(
        request.POST if request.method == "POST" else None, project_name=project.name
    )
    if form.is_valid():
        services.delete_project(project)
        messages.success(request, f"Deleted {project.name}.")
        return redirect("project-list")
    status = 400 if form.is_bound else 200
    context = {"access": access, "project": project, "form": form}
    return render(request, "projects/project_delete.html", context, status=status)
