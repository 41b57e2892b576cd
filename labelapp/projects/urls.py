from django.urls import path

import labelapp.ids  # noqa: F401  (registers the <id:...> path converter used below)
from labelapp.projects import (
    class_views,
    job_views,
    labeling_views,
    member_views,
    remote_import_views,
    upload_views,
    views,
)
from labelapp.webhooks import views as webhook_views

project = "projects/<id:project_id>/"

urlpatterns = [
    path("", views.project_list, name="project-list"),
    path("projects/new/", views.project_create, name="project-create"),
    path(project, views.project_dashboard, name="project-dashboard"),
    path(project + "delete/", views.project_delete, name="project-delete"),
    path(project + "classes/", class_views.classes, name="project-classes"),
    path(
        project + "classes/<id:class_id>/",
        class_views.class_update,
        name="project-class-update",
    ),
    path(project + "members/", member_views.members, name="project-members"),
    path(
        project + "members/<id:membership_id>/role/",
        member_views.member_role,
        name="project-member-role",
    ),
    path(
        project + "members/<id:membership_id>/remove/",
        member_views.member_remove,
        name="project-member-remove",
    ),
    path(project + "jobs/panel/", job_views.jobs_panel, name="project-jobs-panel"),
    path(project + "jobs/start/", job_views.job_start, name="project-job-start"),
    path(project + "jobs/<id:job_id>/", job_views.job_status, name="project-job"),
    path(project + "jobs/<id:job_id>/cancel/", job_views.job_cancel, name="project-job-cancel"),
    path(project + "jobs/<id:job_id>/retry/", job_views.job_retry, name="project-job-retry"),
    path(project + "upload/", upload_views.upload_page, name="project-upload"),
    path(project + "import/", remote_import_views.remote_import_page, name="project-remote-import"),
    path(project + "webhooks/", webhook_views.webhooks_page, name="project-webhooks"),
    path(
        project + "webhooks/<id:webhook_id>/delete/",
        webhook_views.webhook_delete,
        name="project-webhook-delete",
    ),
    path(project + "labels/import/", upload_views.label_import_page, name="project-label-import"),
    path(project + "images/", labeling_views.labeling_page, name="project-labeling"),
    path(project + "queue/", labeling_views.queue_page, name="project-queue"),
    path(
        project + "images/<id:image_id>/",
        labeling_views.image_detail,
        name="image-detail",
    ),
    path(project + "accept/", labeling_views.accept_predictions, name="project-accept"),
]
