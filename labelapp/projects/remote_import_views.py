"""The page that imports from where photos live: a list of URLs, or a bucket and prefix."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from labelapp.images.models import BucketMode, UploadBatch
from labelapp.images.remote_import import BucketSpec, receive_bucket_import, receive_url_list
from labelapp.images.uploads import UploadRejected
from labelapp.projects.permissions import ProjectAccess, project_role

BUCKET_FIELDS = ("bucket", "prefix", "endpoint_url", "region", "access_key_id", "mode")


@project_role("labeler", methods=("GET", "POST"))
def remote_import_page(request: HttpRequest, access: ProjectAccess) -> HttpResponse:
    """POST starts the import and shows its batch; GET ?batch=<id> shows how it went."""
    project, problem = access.project, ""
    if request.method == "POST":
        try:
            started = _start(request, access)
        except UploadRejected as error:
            problem = str(error)
        else:
            url = reverse("project-remote-import", kwargs={"project_id": project.pk})
            return redirect(f"{url}?batch={started.pk}")
    batch_id = request.GET.get("batch", "")
    batch = (
        UploadBatch.objects.filter(project=project, pk=int(batch_id)).select_related("job").first()
        if batch_id.isdigit() and len(batch_id) < 12
        else None
    )
    context = {
        "access": access,
        "project": project,
        "problem": problem,
        "batch": batch,
        "refused": [entry for entry in batch.report if entry["status"] != "added"] if batch else [],
        "form": {name: request.POST.get(name, "") for name in BUCKET_FIELDS},
    }
    return render(request, "projects/remote_import.html", context)


def _start(request: HttpRequest, access: ProjectAccess) -> UploadBatch:
    if request.POST.get("source") == "urls":
        url_file = request.FILES.get("file")
        if url_file is None:
            raise UploadRejected("Choose a text or CSV file of addresses first.")
        return receive_url_list(access.project, request.user, url_file)
    fields = {name: request.POST.get(name, "").strip() for name in BUCKET_FIELDS}
    fields["mode"] = fields["mode"] or BucketMode.COPY
    secret = request.POST.get("secret_access_key", "")
    spec = BucketSpec(**fields, secret_access_key=secret)
    return receive_bucket_import(access.project, request.user, spec)
