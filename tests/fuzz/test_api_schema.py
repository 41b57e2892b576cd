"""Schemathesis generates requests for every API operation from the app's own OpenAPI
schema and sends them in-process, as an owner with a token.

Two properties per operation: "robust" (no 500, a documented answer matches its schema
and content type) and "documented" (every status code it answers is in the schema).
Examples are derandomized, so a run is repeatable; FUZZ_RANDOM=1 explores new ones and
FUZZ_EXAMPLES sets how many per operation.
"""

import os
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.signals import request_finished, request_started
from django.db import DatabaseError, close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from labelapp.accounts.tokens import create_token
from labelapp.jobs.models import Job
from labelapp.projects.models import Membership, Project, Role
from labelapp.wsgi import application
from tests.fixtures.cifar import add_classes, add_image
from tests.fuzz.known_bugs import KNOWN_BUGS
from tests.security.conftest import picture

SCHEMA = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
OPERATIONS = {
    op.definition.raw["operationId"]: op for op in (r.ok() for r in SCHEMA.get_all_operations())
}
PROPERTIES: dict[str, list[Any]] = {
    "robust": [not_a_server_error, response_schema_conformance, content_type_conformance],
    "documented": [status_code_conformance],
}
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
DESTRUCTIVE = {"delete_project"}  # real-id cases would remove the project the others need


@pytest.fixture(autouse=True)
def media_in_tmp(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def keep_the_test_connection() -> Iterator[None]:
    """Requests sent through WSGI end with Django closing the database connection, which
    would end the test's transaction; Django's own test client unhooks this the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_owner(db: None) -> tuple[Project, str]:
    owner = User.objects.create(username="fuzzer")
    project = Project.objects.create(name="Fuzzed", created_by=owner)
    Membership.objects.create(project=project, user=owner, role=Role.OWNER)
    add_classes(project, ["cat", "dog", "bird"])
    for shade in range(3):
        add_image(project, picture((shade * 80, 20, 20)), f"picture-{shade}.jpg")
    Job.objects.create(kind="train", project=project, created_by=owner)
    _, token = create_token(owner, "fuzzing")
    return project, token


def _aim_at_real_rows(case: Any, project: Project) -> None:
    """Half the cases name the real project (and its rows), so the handlers behind the
    permission check are fuzzed too; the other half keep the generated ids."""
    parameters = case.path_parameters or {}
    if "project_id" not in parameters or zlib.crc32(repr(case.body).encode()) % 2:
        return
    parameters["project_id"] = project.pk
    if "image_id" in parameters:
        parameters["image_id"] = project.images.values_list("pk", flat=True).first()
    if "job_id" in parameters:
        parameters["job_id"] = Job.objects.filter(project=project).values_list("pk", flat=True)[0]


def _send(case: Any, headers: dict[str, str], checks: list[Any]) -> None:
    # A request that fails inside the database must not poison the test's transaction.
    savepoint = transaction.savepoint()
    try:
        response = case.call(headers=headers)
    finally:
        try:
            transaction.savepoint_commit(savepoint)
        except DatabaseError:
            transaction.savepoint_rollback(savepoint)
    if checks == PROPERTIES["documented"] and response.status_code >= 500:
        return  # a 500 is the "robust" property's failure
    case.validate_response(response, checks=checks, headers=headers)


def _fuzz(operation: Any, send: Callable[[Any], None], examples: int = EXAMPLES) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=os.environ.get("FUZZ_RANDOM") != "1",
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        send(case)

    run()


def _cases() -> list[Any]:
    cases = []
    for name in PROPERTIES:
        for operation_id in OPERATIONS:
            reason = KNOWN_BUGS.get((operation_id, name))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            cases.append(pytest.param(operation_id, name, marks=marks, id=f"{name}-{operation_id}"))
    return cases


@pytest.mark.django_db
@pytest.mark.parametrize("operation_id, property_name", _cases())
def test_operation(fuzz_owner: tuple[Project, str], operation_id: str, property_name: str) -> None:
    project, token = fuzz_owner
    headers = {"Authorization": f"Bearer {token}"}
    checks = PROPERTIES[property_name]

    def send(case: Any) -> None:
        if operation_id not in DESTRUCTIVE:
            _aim_at_real_rows(case, project)
        _send(case, headers, checks)

    _fuzz(OPERATIONS[operation_id], send)


OUT_OF_RANGE = (2**63, -(2**63) - 1)  # one past what a 64-bit id column holds, each way


def _out_of_range(value: Any, huge: int) -> tuple[Any, bool]:
    """``value`` with every integer in it replaced by ``huge``, and whether there was one."""
    if isinstance(value, bool):
        return value, False
    if isinstance(value, int):
        return huge, True
    if isinstance(value, dict):
        pairs = {key: _out_of_range(item, huge) for key, item in value.items()}
        return {key: item for key, (item, _) in pairs.items()}, any(
            found for _, found in pairs.values()
        )
    if isinstance(value, list):
        items = [_out_of_range(item, huge) for item in value]
        return [item for item, _ in items], any(found for _, found in items)
    return value, False


@pytest.mark.django_db
@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_out_of_range_integers_are_refused(
    fuzz_owner: tuple[Project, str], operation_id: str
) -> None:
    """Every integer of the path, then of the query, then of the body set to 2**63 or
    -2**63-1 is never a 500 (SQLite raises on such numbers): path and query parameters are
    all declared, so they answer 404 or 422; a body may also carry undeclared (ignored)
    fields, so there only the 500 is checked (tests/web/test_out_of_range_ids.py checks
    each declared id of a body)."""
    project, token = fuzz_owner
    headers = {"Authorization": f"Bearer {token}"}

    def send(case: Any) -> None:
        if operation_id not in DESTRUCTIVE:
            _aim_at_real_rows(case, project)
        for location in ("path_parameters", "query", "body"):
            for huge in OUT_OF_RANGE:
                original = getattr(case, location)
                changed, found = _out_of_range(original, huge)
                if not found:
                    continue
                setattr(case, location, changed)
                savepoint = transaction.savepoint()
                response = case.call(headers=headers)
                transaction.savepoint_rollback(savepoint)
                setattr(case, location, original)
                allowed = range(500) if location == "body" else {404, 422}
                assert response.status_code in allowed, (
                    f"{case.method} {case.formatted_path} {location}={changed}: "
                    f"{response.status_code} {response.text[:300]}"
                )

    _fuzz(OPERATIONS[operation_id], send, examples=min(EXAMPLES, 8))
