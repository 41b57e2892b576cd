"""Starting, watching, cancelling and retrying a project's jobs."""

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status
from ninja.errors import HttpError

from labelapp.api.access import api_role, project_access
from labelapp.api.schemas import JobIn, JobPage, Page
from labelapp.ids import DatabaseId
from labelapp.jobs import services
from labelapp.jobs.models import Job
from labelapp.jobs.schemas import JobOut
from labelapp.learning.job_options import job_options

router = Router(tags=["jobs"])


def _job(request: HttpRequest, job_id: DatabaseId) -> Job:
    return get_object_or_404(Job, pk=job_id, project=project_access(request).project)


@router.get("/projects/{project_id}/jobs", response=JobPage, operation_id="list_jobs")
@api_role("viewer")
def list_jobs(request: HttpRequest, project_id: DatabaseId, page: Query[Page]) -> JobPage:
    jobs = Job.objects.filter(project=project_access(request).project)
    rows = jobs[page.offset : page.offset + page.limit]
    return JobPage(count=jobs.count(), items=[JobOut.from_orm(job) for job in rows])


@router.post("/projects/{project_id}/jobs", response={202: JobOut}, operation_id="start_job")
@api_role("labeler")
def start_job(request: HttpRequest, project_id: DatabaseId, body: JobIn) -> Status[JobOut]:
    """Queue a job. Jobs of one project run side by side, two pretrainings too: each makes its
    own encoder version, and the one that finishes last becomes the current encoder."""
    try:
        params = job_options(body.kind, body.epochs, body.method)
    except ValueError as error:
        raise HttpError(422, str(error)) from error
    job = services.enqueue_job(body.kind, project_access(request).project, request.user, **params)
    return Status(202, JobOut.from_orm(job))


@router.get("/projects/{project_id}/jobs/{job_id}", response=JobOut, operation_id="job_status")
@api_role("viewer")
def job_status(request: HttpRequest, project_id: DatabaseId, job_id: DatabaseId) -> JobOut:
    return JobOut.from_orm(_job(request, job_id))


@router.post(
    "/projects/{project_id}/jobs/{job_id}/cancel",
    response=JobOut,
    operation_id="cancel_job",
)
@api_role("labeler")
def cancel_job(request: HttpRequest, project_id: DatabaseId, job_id: DatabaseId) -> JobOut:
    job = _job(request, job_id)
    services.cancel_job(job)
    return JobOut.from_orm(job)


@router.post(
    "/projects/{project_id}/jobs/{job_id}/retry",
    response={202: JobOut},
    operation_id="retry_job",
)
@api_role("labeler")
def retry_job(request: HttpRequest, project_id: DatabaseId, job_id: DatabaseId) -> Status[JobOut]:
    job = _job(request, job_id)
    if not services.retry_job(job):
        raise HttpError(409, "Only a failed or cancelled job can be retried.")
    return Status(202, JobOut.from_orm(job))
