"""Starting and watching jobs from the browser or a script."""

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET, require_POST

from labelapp.jobs import services
from labelapp.jobs.models import Job, JobKind


def job_as_dict(job: Job) -> dict[str, object]:
    return {
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "progress": job.progress,
        "message": job.message,
        "eta_seconds": job.eta_seconds,
        "metrics": job.metrics,
        "result": job.result,
        "error": job.error,
        "attempts": job.attempts,
        "worker": job.worker,
        "device": job.device,
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


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
