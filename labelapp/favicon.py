"""``/favicon.ico``, which browsers and tools ask for on their own: the site's SVG icon."""

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.templatetags.static import static

from labelapp.projects.permissions import public


def favicon(request: HttpRequest) -> HttpResponse:
    return HttpResponsePermanentRedirect(static("favicon.svg"))


favicon_view = public(favicon)
