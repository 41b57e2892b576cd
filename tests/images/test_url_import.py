"""Importing from a list of URLs: the same checks and report as an upload, and no way into
the server's own network unless an administrator allows it."""

import io

import pytest

from labelapp.images.importing import import_staged_batch
from labelapp.images.remote_import import receive_url_list
from labelapp.images.uploads import UploadRejected
from tests.fixtures.http_server import Answer, LocalServer
from tests.images.conftest import picture_bytes, report_by_name

LOOPBACK = ["127.0.0.0/8"]


def url_list(*lines: str) -> io.BytesIO:
    return io.BytesIO("\n".join(lines).encode())


def import_urls(project, owner, *lines: str):
    batch = receive_url_list(project, owner, url_list(*lines))
    import_staged_batch(batch)
    return report_by_name(batch)


def test_images_are_imported_and_bad_addresses_reported(
    project, owner, settings, local_server: LocalServer
):
    settings.OUTBOUND_ALLOWED_NETWORKS = LOOPBACK
    settings.IMPORT_MAX_FILE_BYTES = 100_000
    local_server.answers.update(
        {
            "/red.png": Answer(body=picture_bytes((255, 0, 0))),
            "/moved": Answer(302, headers={"Location": "/blue.png"}),
            "/blue.png": Answer(body=picture_bytes((0, 0, 255))),
            "/page.html": Answer(body=b"<html>not a picture</html>"),
            "/huge.png": Answer(endless=True),
        }
    )
    urls = [local_server.url(p) for p in ["/red.png", "/moved", "/gone.png", "/page.html"]]

    report = import_urls(project, owner, *urls, local_server.url("/huge.png"), "ftp://x/y.png")

    assert project.images.count() == 2
    assert [report[url]["status"] for url in urls[:2]] == ["added", "added"]
    assert report[urls[2]]["message"] == "The server answered 404 Not Found."
    assert report[urls[3]]["status"] == "rejected"
    assert "download was stopped" in report[local_server.url("/huge.png")]["message"]
    assert report["ftp://x/y.png"]["message"].startswith("Not an http://")


def test_loopback_is_refused_by_default_before_any_request(
    project, owner, local_server: LocalServer
):
    local_server.answers["/red.png"] = Answer(body=picture_bytes())

    report = import_urls(project, owner, local_server.url("/red.png", host="localhost"))

    message = report[local_server.url("/red.png", host="localhost")]["message"]
    assert "loopback address" in message and "OUTBOUND_ALLOWED_NETWORKS" in message
    assert local_server.requests == [] and not project.images.exists()


def test_a_redirect_into_the_private_network_is_refused(
    project, owner, settings, local_server: LocalServer
):
    settings.OUTBOUND_ALLOWED_NETWORKS = LOOPBACK
    metadata = "http://169.254.169.254/latest/meta-data/"
    local_server.answers["/sneaky"] = Answer(302, headers={"Location": metadata})

    report = import_urls(project, owner, local_server.url("/sneaky"))

    assert "a link-local address" in report[local_server.url("/sneaky")]["message"]


def test_an_unreachable_host_is_reported_and_the_rest_imported(project, owner, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = LOOPBACK

    report = import_urls(project, owner, "http://127.0.0.1:9/a.png", "http://no-such-host.invalid/")

    assert "cannot be reached" in report["http://127.0.0.1:9/a.png"]["message"]
    assert "cannot be resolved" in report["http://no-such-host.invalid/"]["message"]


def test_an_import_run_again_after_a_crash_adds_nothing_twice(
    project, owner, settings, local_server: LocalServer
):
    settings.OUTBOUND_ALLOWED_NETWORKS = LOOPBACK
    colors = [(index * 40, 0, 0) for index in range(4)]
    for index, color in enumerate(colors):
        local_server.answers[f"/{index}.png"] = Answer(body=picture_bytes(color))
    batch = receive_url_list(
        project, owner, url_list(*(local_server.url(f"/{i}.png") for i in range(4)))
    )

    def crash_after_two(fraction: float, message: str) -> None:
        if project.images.count() == 2:
            raise RuntimeError("worker lost")

    with pytest.raises(RuntimeError):
        import_staged_batch(batch, crash_after_two)
    report = import_staged_batch(batch)

    assert report.counts == {"added": 4, "duplicate": 0, "rejected": 0}
    assert project.images.count() == 4


def test_a_csv_list_reads_its_url_column(project, owner):
    csv_file = io.BytesIO(
        b"id,url\n1,https://example.org/a.jpg\n2,https://user:pw@example.org/b.jpg?X-Amz-Signature=abc\n"
    )

    batch = receive_url_list(project, owner, csv_file)

    names = [entry["name"] for entry in batch.staged_files]
    assert names == ["https://example.org/a.jpg", "https://example.org/b.jpg?X-Amz-Signature=…"]


def test_a_list_without_addresses_is_refused(project, owner):
    with pytest.raises(UploadRejected, match="no http"):
        receive_url_list(project, owner, url_list("just words", "more words"))
