"""Every page carries a Content-Security-Policy that forbids inline and foreign scripts,
and no page has an inline script that such a policy would have to allow."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from labelapp.projects.models import Project
from tests.security.test_escaping import _project_urls

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def _directives(policy: str) -> dict[str, list[str]]:
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


def _assert_safe_policy(response: object, url: str) -> None:
    policy = _directives(response["Content-Security-Policy"])  # type: ignore[index]
    assert policy["default-src"] == ["'self'"], url
    scripts = policy.get("script-src", policy["default-src"])
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, url
    assert all(source in {"'self'", "'none'"} for source in scripts), url
    assert policy.get("object-src") == ["'none'"], url


@pytest.mark.django_db
def test_every_project_page_has_a_strict_policy_and_no_inline_script(
    hostile_project: Project, owner: User
) -> None:
    client = Client()
    client.force_login(owner)
    for url in _project_urls(hostile_project):
        response = client.get(url)
        _assert_safe_policy(response, url)
        if response["Content-Type"].startswith("text/html"):
            body = response.content.decode()
            assert not INLINE_SCRIPT.search(body), url
            unquoted = re.sub(r'"[^"]*"', '""', body)  # attribute values are text, not markup
            assert not INLINE_HANDLER.search(unquoted), url


@pytest.mark.django_db
def test_public_pages_and_errors_have_the_policy_too() -> None:
    client = Client()
    for url in [reverse("login"), "/no/such/page/", reverse("healthz"), "/api/docs"]:
        _assert_safe_policy(client.get(url), url)


@pytest.mark.django_db
def test_pages_refuse_framing_and_sniffing(owner: User) -> None:
    client = Client()
    client.force_login(owner)
    response = client.get(reverse("project-list"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
