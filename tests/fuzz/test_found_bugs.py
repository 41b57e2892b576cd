"""Plain reproductions of the server errors the fuzzer once found, kept as regressions."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from labelapp.projects.models import Membership, Project, Role

HUGE_OFFSET = str(2**63)
LIST_URLS = ["/api/projects", "/api/projects/{id}/images", "/api/projects/{id}/predictions",
             "/api/projects/{id}/queue", "/api/projects/{id}/jobs"]  # fmt: skip


@pytest.fixture
def owner_client(db: None) -> tuple[Client, Project]:
    owner = User.objects.create(username="owner")
    project = Project.objects.create(name="P", created_by=owner)
    Membership.objects.create(project=project, user=owner, role=Role.OWNER)
    client = Client(enforce_csrf_checks=False)
    client.force_login(owner)
    return client, project


@pytest.mark.parametrize("url", LIST_URLS)
@pytest.mark.django_db
def test_a_huge_offset_is_refused_not_a_500(owner_client: tuple[Client, Project], url: str) -> None:
    client, project = owner_client
    response = client.get(url.format(id=project.pk), {"offset": HUGE_OFFSET})
    assert response.status_code in {200, 422}


@pytest.mark.django_db
def test_a_large_but_sane_offset_answers_an_empty_page(
    owner_client: tuple[Client, Project],
) -> None:
    client, project = owner_client
    response = client.get(f"/api/projects/{project.pk}/images", {"offset": str(2**31)})
    assert response.status_code == 200
    assert response.json()["items"] == []


@pytest.mark.parametrize("field", ["name", "description", "class"])
@pytest.mark.django_db
def test_a_nul_character_is_refused_not_a_500(
    owner_client: tuple[Client, Project], field: str
) -> None:
    client, _ = owner_client
    body = {"name": "Birds", "description": "", "classes": [{"name": "cat"}]}
    if field == "class":
        body["classes"] = [{"name": "c\x00t"}]
    else:
        body[field] = "bad\x00name"
    response = client.post("/api/projects", body, content_type="application/json")
    assert response.status_code == 422
