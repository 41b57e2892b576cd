"""The upload page; its script sends the files to the API in batches of at most 100."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from labelapp.images.label_import import LabelFileRejected, import_labels
from labelapp.projects.permissions import ProjectAccess, project_role


@project_role("labeler")
def upload_page(request: HttpRequest, access: ProjectAccess) -> HttpResponse:
    project = access.project
    config = {
        "upload_url": reverse("api-1:upload_images", kwargs={"project_id": project.pk}),
        "batch_url": reverse(
            "api-1:upload_status", kwargs={"project_id": project.pk, "batch_id": 0}
        ),
        "job_url": reverse("api-1:job_status", kwargs={"project_id": project.pk, "job_id": 0}),
        "files_per_request": settings.DATA_UPLOAD_MAX_NUMBER_FILES,
    }
    context = {"access": access, "project": project, "upload_config": config}
    return render(request, "projects/upload.html", context)


@project_role("labeler", methods=("GET", "POST"))
def label_import_page(request: HttpRequest, access: ProjectAccess) -> HttpResponse:
    """Labels from a CSV file (image id, content hash or original name; label name)."""
    report, problem = None, ""
    if request.method == "POST":
        uploaded = request.FILES.get("file")
        if uploaded is None:
            problem = "Choose a CSV file first."
        else:
            try:
                report = import_labels(access.project, request.user, uploaded)
            except LabelFileRejected as error:
                problem = str(error)
    context = {"access": access, "project": access.project, "report": report, "problem": problem}
    return render(request, "projects/label_import.html", context)
