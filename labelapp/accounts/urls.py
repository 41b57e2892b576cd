from django.contrib.auth import views as auth_views
from django.urls import path

import labelapp.ids  # noqa: F401  (registers the <id:...> path converter used below)
from labelapp.accounts import views
from labelapp.projects.permissions import public

urlpatterns = [
    path(
        "accounts/login/",
        public(auth_views.LoginView.as_view(redirect_authenticated_user=True), ("GET", "POST")),
        name="login",
    ),
    path("accounts/logout/", public(auth_views.LogoutView.as_view(), ("POST",)), name="logout"),
    path("accounts/", views.account, name="account"),
    path("accounts/password/", views.password_change, name="password-change"),
    path("accounts/password/done/", views.password_change_done, name="password-change-done"),
    path("accounts/tokens/", views.token_create, name="token-create"),
    path("accounts/tokens/<id:token_id>/revoke/", views.token_revoke, name="token-revoke"),
]
