"""Project pages."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from labelapp.projects.models import Project


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    assert request.user.is_authenticated
    projects = Project.objects.filter(memberships__user=request.user).order_by("name")
    return render(request, "projects/project_list.html", {"projects": projects})
