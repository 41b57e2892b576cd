"""Every route x (anonymous, non-member, viewer, labeler, owner) answers as its rule says.

The routes come from walking the URL configuration and the API's routers, and each rule
is read from the route's view (labelapp.projects.permissions, labelapp.api.access), so a
new route without a declared rule fails here. Requests carry no data: an allowed action
answers with a form error, never with a change, except deleting the project, which the
owner (asked last) may do.
"""

import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from labelapp.accounts.tokens import create_token
from labelapp.api.api import ROUTERS
from labelapp.images.models import UploadBatch
from labelapp.jobs.models import Job
from labelapp.projects.models import Membership
from labelapp.projects.permissions import ROLE_RANK, AccessRule
from labelapp.webhooks.models import Webhook
from tests.web.people import Team, make_images, make_team

USERS = ["anonymous", "stranger", "viewer", "labeler", "owner"]
API_NAMESPACE = "api-1"
# Routes that Django or django-ninja add on their own, with the rule they follow.
BUILT_IN_RULES = {
    "admin": AccessRule("staff"),  # the whole admin site: is_staff, via the admin login
    "admin:login": AccessRule("public", methods=("GET", "POST")),
    "admin:logout": AccessRule("public", methods=("POST",)),
    f"{API_NAMESPACE}:api-root": AccessRule("public"),  # always 404, names the docs page
}


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name"
    parameters: tuple[str, ...]
    rule: AccessRule | None
    is_api: bool
    method: str


def _api_rules() -> dict[str, tuple[AccessRule | None, str]]:
    rules = {}
    for router in ROUTERS:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                rule = getattr(operation.view_func, "access_rule", None)
                rules[operation.view_func.__name__] = (rule, operation.methods[0])
    return rules


def _walk(patterns: list[Any], namespace: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if entry.namespace else namespace
            found += _walk(entry.url_patterns, inner.strip(":"))
        elif entry.name:
            found.append((f"{namespace}:{entry.name}".strip(":"), entry))
    return found


def collect_routes() -> list[Route]:
    api_rules = _api_rules()
    routes = []
    for name, pattern in _walk(get_resolver().url_patterns):
        parameters = tuple(pattern.pattern.regex.groupindex)
        namespace, _, short_name = name.rpartition(":")
        built_in = BUILT_IN_RULES.get(name) or BUILT_IN_RULES.get(namespace)
        if namespace == API_NAMESPACE and short_name in api_rules:
            rule, method = api_rules[short_name]
            routes.append(Route(name, parameters, rule, True, method))
            continue
        rule = built_in or getattr(pattern.callback, "access_rule", None)
        method = rule.methods[0] if rule else "GET"
        routes.append(Route(name, parameters, rule, namespace == API_NAMESPACE, method))
    return routes


ROUTES = collect_routes()


def sample_arguments(team: Team, parameters: tuple[str, ...]) -> dict[str, Any]:
    image = make_images(team.project, 1)[0]
    job = Job.objects.create(project=team.project, kind="train", status="failed")
    batch = UploadBatch.objects.create(project=team.project, created_by=team.owner)
    token, _ = create_token(team.owner, "script")
    webhook = Webhook.objects.create(project=team.project, url="https://example.org/", secret="s")
    values = {
        "project_id": team.project.pk,
        "image_id": image.pk,
        "content_hash": image.content_hash,
        "job_id": job.pk,
        "batch_id": batch.pk,
        "membership_id": Membership.objects.get(project=team.project, user=team.viewer).pk,
        "token_id": token.pk,
        "class_id": team.classes[0].pk,
        "webhook_id": webhook.pk,
        "app_label": "projects",
        "object_id": "1",
        "id": "1",
        "content_type_id": "1",
        "url": "anything/",
        "file_name": "model-card.json",
    }
    missing = set(parameters) - set(values)
    assert not missing, f"add sample values for {missing} to this test"
    return {name: values[name] for name in parameters}


def expected(rule: AccessRule, user: str, is_api: bool) -> str:
    if rule.audience == "public":
        return "answered"
    if rule.audience == "staff":
        return "staff-login"
    if user == "anonymous":
        return "unauthorized" if is_api else "login"
    if rule.audience == "signed_in":
        return "allowed"
    if user == "stranger":
        return "not-found"
    return "allowed" if ROLE_RANK[user_role(user)] >= ROLE_RANK[rule.role] else "forbidden"


def user_role(user: str) -> Any:
    return {"viewer": "viewer", "labeler": "labeler", "owner": "owner"}[user]


def observed(response: Any, is_api: bool) -> str:
    status = response.status_code
    location = response.headers.get("Location", "")
    if status == 302 and "/admin/login/" in location:
        return "staff-login"
    if status == 302 and "/accounts/login/" in location:
        return "login"
    if status in (401, 403, 404, 500):
        return {401: "unauthorized", 403: "forbidden", 404: "not-found"}.get(status, "error")
    return "allowed"


def test_every_route_declares_its_rule() -> None:
    undeclared = [route.name for route in ROUTES if route.rule is None]
    assert not undeclared, (
        "declare who may use these routes (labelapp.projects.permissions or "
        f"labelapp.api.access): {undeclared}"
    )


@pytest.mark.parametrize("route", [r for r in ROUTES if r.rule], ids=lambda r: r.name)
def test_route_answers_each_kind_of_user_as_declared(route: Route, db: None) -> None:
    team = make_team()
    url = reverse(route.name, kwargs=sample_arguments(team, route.parameters))
    users = {"stranger": team.stranger, "viewer": team.viewer, "labeler": team.labeler}
    users["owner"] = team.owner
    # Public routes answer everyone alike; two kinds of visitor are enough to show it.
    kinds = USERS[:2] if route.rule and route.rule.audience == "public" else USERS
    for user in kinds:
        client = Client()
        if user != "anonymous":
            client.force_login(users[user])
        response = client.generic(route.method, url)
        assert route.rule is not None
        want = expected(route.rule, user, route.is_api)
        got = observed(response, route.is_api)
        if want == "answered":  # a public page may still send you on (sign-in, sign-out)
            got = "error" if got == "error" else "answered"
        assert got == want, f"{route.method} {url} as {user}: {response.status_code}"


def test_the_matrix_covers_pages_and_api() -> None:
    names = {route.name for route in ROUTES}
    assert {"project-labeling", "project-delete", f"{API_NAMESPACE}:set_labels"} <= names
    assert re.search(r"admin:", " ".join(names))
