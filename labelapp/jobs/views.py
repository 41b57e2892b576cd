"""Starting and watching jobs from the browser or a script."""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET, require_POST

from labelapp.jobs import services
from labelapp.jobs.models import Job, JobKind
from labelapp.jobs.schemas import job_as_dict


@staff_member_required
@require_POST
def start_selfcheck(request: HttpRequest) -> JsonResponse:
    echo = request.POST.get("echo", "")[:100]
    job = services.enqueue_job(JobKind.SELFCHECK, user=request.user, echo=echo)
    return JsonResponse(job_as_dict(job), status=202)


@staff_member_required
@require_GET
def system_job_status(request: HttpRequest, job_id: int) -> JsonResponse:
    job = get_object_or_404(Job, pk=job_id, project__isnull=True)
    return JsonResponse(job_as_dict(job))
