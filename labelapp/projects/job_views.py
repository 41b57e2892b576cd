"""Starting, watching, cancelling and retrying a project's jobs from its dashboard."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from labelapp.jobs import services
from labelapp.jobs.models import Job, JobKind, JobStatus
from labelapp.jobs.schemas import job_as_dict
from labelapp.learning.job_options import job_options
from labelapp.projects.permissions import ProjectAccess, project_role

STARTABLE_KINDS = {JobKind.PRETRAIN, JobKind.TRAIN, JobKind.PREDICT, JobKind.RETRAIN, JobKind.EMBED}
RECENT_JOBS = 8


def recent_jobs(access: ProjectAccess) -> list[Job]:
    active = list(
        Job.objects.filter(
            project=access.project, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]
        ).order_by("created_at")
    )
    finished = Job.objects.filter(project=access.project).exclude(pk__in=[j.pk for j in active])
    return active + list(finished[: max(RECENT_JOBS - len(active), 3)])


@never_cache
@project_role("viewer")
def jobs_panel(request: HttpRequest, access: ProjectAccess) -> HttpResponse:
    """The jobs list as an HTML fragment; the dashboard polls it every 2 seconds."""
    context = {"access": access, "project": access.project, "jobs": recent_jobs(access)}
    return render(request, "projects/jobs_panel.html", context)


@never_cache
@project_role("viewer")
def job_status(request: HttpRequest, access: ProjectAccess, job_id: int) -> JsonResponse:
    job = get_object_or_404(Job, pk=job_id, project=access.project)
    return JsonResponse(job_as_dict(job))


@project_role("labeler", methods=("POST",))
def job_start(request: HttpRequest, access: ProjectAccess) -> HttpResponse:
    kind = request.POST.get("kind", "")
    if kind not in STARTABLE_KINDS:
        messages.error(request, "Pick one of pretrain, embed, train, predict or retrain.")
        return redirect("project-dashboard", project_id=access.project.pk)
    try:
        params = job_options(kind, request.POST.get("epochs"), request.POST.get("method"))
    except ValueError as error:
        messages.error(request, str(error))
        return redirect("project-dashboard", project_id=access.project.pk)
    job = services.enqueue_job(kind, access.project, request.user, **params)
    return show_job(job)


@project_role("labeler", methods=("POST",))
def job_cancel(request: HttpRequest, access: ProjectAccess, job_id: int) -> HttpResponse:
    job = get_object_or_404(Job, pk=job_id, project=access.project)
    services.cancel_job(job)
    return show_job(job)


@project_role("labeler", methods=("POST",))
def job_retry(request: HttpRequest, access: ProjectAccess, job_id: int) -> HttpResponse:
    job = get_object_or_404(Job, pk=job_id, project=access.project)
    if services.retry_job(job):
        return show_job(job)
    messages.error(request, "Only a failed or cancelled job can be retried.")
    return redirect("project-dashboard", project_id=access.project.pk)


def show_job(job: Job) -> HttpResponse:
    """The dashboard at the job's row, which shows what the job is doing as it changes; a
    flash message ("Started", "Asked to stop") would still say so after the job had
    finished."""
    dashboard = reverse("project-dashboard", kwargs={"project_id": job.project_id})
    return redirect(f"{dashboard}#job-{job.pk}")
