"""The account page: API tokens, and a link to change the password."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy

from labelapp.accounts import tokens
from labelapp.projects.permissions import signed_in


@signed_in()
def account(request: HttpRequest) -> HttpResponse:
    context = {"tokens": request.user.api_tokens.all()}  # type: ignore[union-attr]
    return render(request, "accounts/account.html", context)


@signed_in(methods=("POST",))
def token_create(request: HttpRequest) -> HttpResponse:
    try:
        _, text = tokens.create_token(request.user, request.POST.get("name", ""))
    except tokens.TokenError as error:
        messages.error(request, str(error))
        return redirect("account")
    context = {"tokens": request.user.api_tokens.all(), "new_token": text}  # type: ignore[union-attr]
    # Rendered, not redirected: the token is shown this once and never stored in clear.
    return render(request, "accounts/account.html", context, status=201)


@signed_in(methods=("POST",))
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    if tokens.revoke_token(request.user, token_id):
        messages.success(request, "Token revoked; scripts using it are locked out now.")
    else:
        messages.error(request, "No such token.")
    return redirect("account")


password_change = signed_in(methods=("GET", "POST"))(
    auth_views.PasswordChangeView.as_view(success_url=reverse_lazy("password-change-done"))
)
password_change_done = signed_in()(auth_views.PasswordChangeDoneView.as_view())
