"""Every route declares who may use it (labelapp.projects.permissions); the permission
matrix test walks this configuration and fails on a route without a rule."""

from django.contrib import admin
from django.urls import include, path

import labelapp.ids  # noqa: F401  (registers the <id:...> path converter used below)
from labelapp.api.api import api
from labelapp.favicon import favicon_view
from labelapp.health import healthz
from labelapp.jobs import views as job_views
from labelapp.projects.permissions import public, staff_only

urlpatterns = [
    path("healthz", public(healthz), name="healthz"),
    path("favicon.ico", favicon_view, name="favicon"),
    path("admin/", admin.site.urls),
    path(
        "system/selfcheck/",
        staff_only(job_views.start_selfcheck, ("POST",)),
        name="start-selfcheck",
    ),
    path(
        "system/jobs/<id:job_id>/",
        staff_only(job_views.system_job_status),
        name="system-job",
    ),
    path("api/", api.urls),
    path("", include("labelapp.accounts.urls")),
    path("", include("labelapp.images.urls")),
    path("", include("labelapp.projects.urls")),
    path("", include("labelapp.insights.urls")),
]
