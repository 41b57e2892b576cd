"""The project's webhooks page: add or remove a webhook, and the delivery log."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from labelapp.projects.permissions import ProjectAccess, project_role
from labelapp.webhooks.models import Delivery, Event, Webhook
from labelapp.webhooks.services import WebhookRejected, add_webhook

LOG_LENGTH = 100


@project_role("owner", methods=("GET", "POST"))
def webhooks_page(request: HttpRequest, access: ProjectAccess) -> HttpResponse:
    project, problem = access.project, ""
    if request.method == "POST":
        try:
            webhook = add_webhook(
                project,
                request.POST.get("url", ""),
                request.POST.getlist("events"),
                request.POST.get("secret", ""),
            )
        except WebhookRejected as error:
            problem = str(error)
        else:
            if not request.POST.get("secret"):
                shown_once = f"Webhook added. Its secret (shown only now): {webhook.secret}"
                messages.success(request, shown_once)
            return redirect("project-webhooks", project_id=project.pk)
    deliveries = Delivery.objects.filter(webhook__project=project).select_related("webhook")
    context = {
        "access": access,
        "project": project,
        "problem": problem,
        "events": Event.choices,
        "webhooks": Webhook.objects.filter(project=project),
        "deliveries": deliveries[:LOG_LENGTH],
    }
    return render(request, "webhooks/page.html", context)


@project_role("owner", methods=("POST",))
def webhook_delete(request: HttpRequest, access: ProjectAccess, webhook_id: int) -> HttpResponse:
    get_object_or_404(Webhook, pk=webhook_id, project=access.project).delete()
    return redirect("project-webhooks", project_id=access.project.pk)
