"""No id is too large: 2**63 and up (which no id column can hold) answer 404 or 422.

SQLite, the default database, raises "Python int too large to convert" for such a number
(a 500); PostgreSQL happens to answer an empty result. Either way the number is refused
where it enters: web paths by the ``<id:...>`` converter, the API by ``DatabaseId``.
"""

from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse
from django.urls.converters import IntConverter

from labelapp.ids import MAX_ID, parse_id
from tests.web.people import Team
from tests.web.test_permission_matrix import ROUTES, Route, _walk, sample_arguments

TOO_LARGE = 2**63
ID_ROUTES = [
    (route, name)
    for route in ROUTES
    if not route.name.startswith("admin")
    for name in route.parameters
    if name.endswith("_id")
]


def test_no_web_path_takes_an_unbounded_integer() -> None:
    patterns: list[tuple[str, URLPattern]] = _walk(get_resolver().url_patterns)
    unbounded = [
        name
        for name, pattern in patterns
        if any(isinstance(c, IntConverter) for c in pattern.pattern.converters.values())
        and not name.startswith("admin")
    ]
    assert not unbounded, f"use <id:...> instead of <int:...> in {unbounded}"


@pytest.mark.parametrize(
    "route, parameter", ID_ROUTES, ids=lambda value: getattr(value, "name", value)
)
def test_an_id_of_two_to_the_63_is_not_found(route: Route, parameter: str, team: Team) -> None:
    # given the owner and a URL whose one id is 2**63
    arguments: dict[str, Any] = sample_arguments(team, route.parameters)
    url = reverse(route.name, kwargs={**arguments, parameter: TOO_LARGE})
    client = Client()
    client.force_login(team.owner)
    # when they send the route's method
    response = client.generic(route.method, url)
    # then the answer is "no such thing" or "invalid", never a server error
    assert response.status_code in {404, 422}, f"{route.method} {url}"


@pytest.mark.parametrize(
    "body",
    [
        {"label_class": None, "images": [{"id": TOO_LARGE, "expected_version": 0}]},
        {"label_class": None, "images": [{"id": -(2**63) - 1, "expected_version": 0}]},
        {"label_class": TOO_LARGE, "images": [{"id": 1, "expected_version": 0}]},
        {"label_class": None, "images": [{"id": 1, "expected_version": TOO_LARGE}]},
    ],
)
def test_an_out_of_range_id_in_a_body_is_invalid(body: dict[str, Any], team: Team) -> None:
    client = Client()
    client.force_login(team.labeler)

    response = client.post(
        f"/api/projects/{team.project.pk}/labels", body, content_type="application/json"
    )

    assert response.status_code == 422, response.content


@pytest.mark.parametrize("parameter", ["label", "predicted"])
def test_an_out_of_range_class_in_a_filter_is_refused(parameter: str, team: Team) -> None:
    client = Client()
    client.force_login(team.viewer)
    query = {parameter: str(TOO_LARGE)}

    api = client.get(f"/api/projects/{team.project.pk}/images", query)
    page = client.get(reverse("project-labeling", args=[team.project.pk]), query)

    assert api.status_code == 422
    assert page.status_code == 400  # the page's answer to any filter it cannot read
    assert "must be a class id" in page.text


def test_parse_id_takes_exactly_what_an_id_column_holds() -> None:
    assert parse_id(str(MAX_ID)) == MAX_ID
    assert parse_id("1") == 1
    for text in [str(TOO_LARGE), "0", "-1", "", "1e3", "١٢", " 7", "9" * 400]:
        assert parse_id(text) is None, text
