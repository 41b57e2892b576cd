"""Every page of a project whose free text is script payloads shows that text escaped."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import NoReverseMatch, reverse

from labelapp.images.models import Image
from labelapp.projects.models import Project
from tests.security.conftest import PAYLOADS

PROJECT_PAGES = [
    "project-dashboard",
    "project-labeling",
    "project-queue",
    "project-members",
    "project-upload",
    "project-jobs-panel",
    "insights-quality",
    "insights-label-errors",
    "insights-duplicates",
    "insights-map",
    "insights-map-points",
]


def _project_urls(project: Project) -> list[str]:
    urls = [reverse("project-list"), reverse("account")]
    for name in PROJECT_PAGES:
        try:
            urls.append(reverse(name, args=[project.pk]))
        except NoReverseMatch:
            continue  # a page another part of the app has not added (yet)
    for image in Image.objects.filter(project=project):
        urls.append(reverse("image-detail", args=[project.pk, image.pk]))
    urls.append(reverse("project-labeling", args=[project.pk]) + "?status=labeled")
    return urls


@pytest.mark.django_db
def test_no_page_shows_a_payload_unescaped(hostile_project: Project, owner: User) -> None:
    # Given the owner of a project whose names, reports and history hold script payloads
    client = Client()
    client.force_login(owner)
    for url in _project_urls(hostile_project):
        # When they open each of its pages
        response = client.get(url)
        # Then each answers, and no payload appears as markup
        assert response.status_code == 200, url
        if not response["Content-Type"].startswith("text/html"):
            # JSON data is read by scripts, which must insert it as text (never markup).
            assert response["Content-Type"].startswith("application/json"), url
            assert response["X-Content-Type-Options"] == "nosniff", url
            continue
        body = response.content.decode()
        for payload in PAYLOADS:
            assert payload not in body, f"{url} shows {payload!r} unescaped"


@pytest.mark.django_db
def test_the_pages_show_the_text_escaped(hostile_project: Project, owner: User) -> None:
    # The payload is still shown (as text): the test above is not passing by omission.
    client = Client()
    client.force_login(owner)
    body = client.get(reverse("project-dashboard", args=[hostile_project.pk])).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


@pytest.mark.django_db
def test_api_answers_are_json_not_html(hostile_project: Project, owner: User) -> None:
    client = Client()
    client.force_login(owner)
    response = client.get(f"/api/projects/{hostile_project.pk}/images")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["X-Content-Type-Options"] == "nosniff"
