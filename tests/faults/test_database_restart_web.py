"""The web server keeps its database connections between requests; when PostgreSQL ends
them (a restart), the next request reconnects instead of failing."""

import http.client
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from labelapp.accounts.tokens import create_token
from labelapp.cli import web_command
from labelapp.images.models import Image, Label
from tests.faults.test_faults import end_sessions
from tests.fixtures import workers
from tests.web.people import make_images, make_team

WEB_APPLICATION = "labelapp-test-web"


class Server:
    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token

    def call(self, method: str, path: str, body: object = None) -> tuple[int, dict]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        connection.request(method, path, json.dumps(body) if body else None, headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")


@pytest.fixture
def web_server(transactional_db: None, tmp_path: Path) -> Iterator[tuple[Server, object]]:
    team = make_team()
    _, token = create_token(team.labeler, "fault test")
    port = workers.free_port()
    url = workers.test_database_url().replace("labelapp-test-worker", WEB_APPLICATION)
    env = {**os.environ, "DATABASE_URL": url, "MEDIA_ROOT": str(settings.MEDIA_ROOT)}
    command = web_command(f"127.0.0.1:{port}", workers=1)
    log = open(tmp_path / "web.log", "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        command, cwd=workers.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    server = Server(port, token)
    deadline = time.monotonic() + 120
    while True:
        try:
            if server.call("GET", "/api/projects")[0] == 200:
                break
        except OSError:
            assert time.monotonic() < deadline, (tmp_path / "web.log").read_text()
            assert process.poll() is None, (tmp_path / "web.log").read_text()
            time.sleep(0.3)
    yield server, team
    workers.stop_process(process)
    log.close()


def test_a_restarted_database_between_requests_loses_nothing(web_server) -> None:
    server, team = web_server
    image = make_images(team.project, 1)[0]
    labels = f"/api/projects/{team.project.pk}/labels"
    assert server.call("GET", f"/api/projects/{team.project.pk}/images")[0] == 200

    assert end_sessions(WEB_APPLICATION) >= 1  # the connection outlived its request: it is reused

    status, answer = server.call(
        "POST",
        labels,
        {"label_class": team.classes[0].pk, "images": [{"id": image.pk, "expected_version": 0}]},
    )
    assert status == 200, answer
    assert answer["results"][0]["ok"]
    assert Image.objects.get(pk=image.pk).current_label_id == team.classes[0].pk
    assert Label.objects.filter(image=image).count() == 1
    assert server.call("GET", f"/api/projects/{team.project.pk}/images")[0] == 200
