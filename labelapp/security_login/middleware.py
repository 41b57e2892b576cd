"""Refuses a sign-in POST for a locked username and address before any password check."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from labelapp.security_login.attempts import client_address, lockout_message, minutes_locked


def _sign_in_paths() -> set[str]:
    # The admin site has its own sign-in page; both check passwords the same way.
    return {reverse("login"), reverse("admin:login")}


class LoginRateLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.path in _sign_in_paths():
            username = str(request.POST.get("username", ""))[:150]
            minutes = minutes_locked(username, client_address(request))
            if minutes:
                return self.refuse(request, minutes)
        return self.get_response(request)

    def refuse(self, request: HttpRequest, minutes: int) -> HttpResponse:
        messages.error(request, lockout_message(minutes))
        context = {"form": AuthenticationForm(request), "next": request.POST.get("next", "")}
        response = TemplateResponse(request, "registration/login.html", context, status=429)
        response["Retry-After"] = str(minutes * 60)
        return response.render()  # middleware answers are not rendered by the handler
