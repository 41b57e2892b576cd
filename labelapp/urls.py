from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from labelapp.health import healthz
from labelapp.jobs import views as job_views

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("system/selfcheck/", job_views.start_selfcheck, name="start-selfcheck"),
    path("system/jobs/<int:job_id>/", job_views.system_job_status, name="system-job"),
    path("", include("labelapp.images.urls")),
    path("", include("labelapp.projects.urls")),
]
