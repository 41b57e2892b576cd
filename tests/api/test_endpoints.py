"""The REST API: projects, images with filters, labels, jobs; readable errors, never 500."""

import json
import re

from django.test import Client

from labelapp.jobs.models import Job
from labelapp.learning.models import QueueItem
from labelapp.projects.models import Project
from tests.web.people import Team, make_classifier, make_images


def api(client: Client, method: str, path: str, body: object = None):
    data = json.dumps(body) if body is not None else ""
    return client.generic(method, f"/api{path}", data, content_type="application/json")


def test_create_a_project_with_classes(client: Client, team: Team) -> None:
    client.force_login(team.stranger)

    response = api(
        client,
        "POST",
        "/projects",
        {"name": "Boats", "classes": [{"name": "sail", "key": "s"}, {"name": "motor"}]},
    )

    assert response.status_code == 201
    body = response.json()
    assert [(c["name"], c["key"]) for c in body["classes"]] == [("sail", "s"), ("motor", "1")]
    assert Project.objects.get(name="Boats").memberships.get().user == team.stranger


def test_invalid_input_is_422_with_readable_messages(client: Client, team: Team) -> None:
    client.force_login(team.owner)

    response = api(client, "POST", "/projects", {"name": "", "classes": []})

    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "name" in detail and "classes" in detail
    assert not Project.objects.filter(name="").exists()


def test_malformed_json_is_refused_without_a_crash(client: Client, team: Team) -> None:
    client.force_login(team.labeler)

    response = client.post(
        f"/api/projects/{team.project.pk}/labels", "{not json", content_type="application/json"
    )

    assert 400 <= response.status_code < 500


def test_list_images_pages_with_a_capped_limit(client: Client, team: Team) -> None:
    make_images(team.project, 7)
    client.force_login(team.viewer)

    page = api(client, "GET", f"/projects/{team.project.pk}/images?limit=5&offset=5").json()
    too_many = api(client, "GET", f"/projects/{team.project.pk}/images?limit=100000")

    assert page["count"] == 7 and len(page["items"]) == 2
    assert too_many.status_code == 422
    assert "limit" in too_many.json()["detail"]


def test_list_images_filters_like_the_labeling_page(client: Client, team: Team) -> None:
    images = make_images(team.project, 3)
    make_classifier(team.project, {images[0]: (team.classes[1], 0.8)})
    client.force_login(team.viewer)

    body = api(
        client, "GET", f"/projects/{team.project.pk}/images?predicted={team.classes[1].pk}"
    ).json()
    bad = api(client, "GET", f"/projects/{team.project.pk}/images?status=maybe")

    assert [item["id"] for item in body["items"]] == [images[0].pk]
    assert bad.status_code == 422


def test_set_one_label_answers_409_on_a_stale_version(client: Client, team: Team) -> None:
    image = make_images(team.project, 1)[0]
    client.force_login(team.labeler)
    path = f"/projects/{team.project.pk}/images/{image.pk}/label"

    first = api(client, "PUT", path, {"label_class": team.classes[0].pk, "expected_version": 0})
    second = api(client, "PUT", path, {"label_class": team.classes[1].pk, "expected_version": 0})

    assert first.status_code == 200
    assert second.status_code == 409
    assert second.json()["label_name"] == "cat"


def test_get_image_includes_its_prediction(client: Client, team: Team) -> None:
    image = make_images(team.project, 1)[0]
    make_classifier(team.project, {image: (team.classes[2], 0.75)})
    client.force_login(team.viewer)

    body = api(client, "GET", f"/projects/{team.project.pk}/images/{image.pk}").json()

    assert body["prediction"]["predicted_class"] == team.classes[2].pk
    assert body["prediction"]["confidence"] == 0.75


def test_the_queue_gives_the_reason_for_each_image(client: Client, team: Team) -> None:
    image = make_images(team.project, 1)[0]
    QueueItem.objects.create(
        project=team.project, image=image, rank=1, strategy="margin", score=0.1, reason="Unsure"
    )
    client.force_login(team.viewer)

    body = api(client, "GET", f"/projects/{team.project.pk}/queue").json()

    assert body["items"][0]["reason"] == "Unsure"


def test_start_cancel_and_retry_a_job(client: Client, team: Team) -> None:
    client.force_login(team.labeler)
    base = f"/projects/{team.project.pk}/jobs"

    started = api(client, "POST", base, {"kind": "train"})
    job_id = started.json()["id"]
    cancelled = api(client, "POST", f"{base}/{job_id}/cancel")
    retried = api(client, "POST", f"{base}/{job_id}/retry")

    assert started.status_code == 202
    assert cancelled.json()["status"] == "cancelled"
    assert retried.status_code == 202
    assert Job.objects.get(pk=job_id).status == "queued"


def test_an_unknown_job_kind_is_refused(client: Client, team: Team) -> None:
    client.force_login(team.labeler)

    response = api(client, "POST", f"/projects/{team.project.pk}/jobs", {"kind": "mine bitcoin"})

    assert response.status_code == 422
    assert not Job.objects.exists()


def test_job_options_are_checked_and_kept(client: Client, team: Team) -> None:
    client.force_login(team.labeler)
    base = f"/projects/{team.project.pk}/jobs"

    pretrain = api(client, "POST", base, {"kind": "pretrain", "epochs": 7})
    train = api(client, "POST", base, {"kind": "retrain", "method": "fine_tune"})
    too_many = api(client, "POST", base, {"kind": "pretrain", "epochs": 10**9})
    unknown = api(client, "POST", base, {"kind": "train", "method": "magic"})

    assert (pretrain.status_code, train.status_code) == (202, 202)
    assert (too_many.status_code, unknown.status_code) == (422, 422)
    assert [job.params for job in Job.objects.order_by("pk")] == [
        {"epochs": 7},
        {"method": "fine_tune"},
    ]


def test_openapi_schema_and_offline_docs(client: Client, db: None) -> None:
    schema = client.get("/api/openapi.json").json()
    docs = client.get("/api/docs").content.decode()

    assert "/api/projects/{project_id}/labels" in schema["paths"]
    # the image list's filters are documented, not only read from the query by hand
    images = schema["paths"]["/api/projects/{project_id}/images"]["get"]["parameters"]
    assert {"status", "label", "predicted", "disagree"} <= {p["name"] for p in images}
    # served from here: no script or style from another host (a bare "cdn" also matched the
    # page's random CSRF token now and then)
    assert not re.findall(r'(?:src|href)="(?:https?:)?//', docs)
    assert "/static/ninja/swagger-ui-bundle.js" in docs


def test_export_csv_streams_the_labels(client: Client, team: Team) -> None:
    make_images(team.project, 2)
    client.force_login(team.viewer)

    response = client.get(f"/api/projects/{team.project.pk}/export?format=csv")

    assert response.status_code == 200
    assert b"image-00000.jpg" in b"".join(response.streaming_content)


def test_hostile_numbers_and_types_never_crash(client: Client, team: Team) -> None:
    image = make_images(team.project, 1)[0]
    client.force_login(team.labeler)
    huge = 10**30

    answers = [
        api(client, "POST", f"/projects/{team.project.pk}/labels", body).status_code
        for body in [
            {"label_class": huge, "images": [{"id": image.pk, "expected_version": 0}]},
            {"label_class": None, "images": [{"id": huge, "expected_version": huge}]},
            {"label_class": "cat", "images": "all"},
            {"label_class": None, "images": [{"id": image.pk, "expected_version": -1}]},
            [1, 2, 3],
        ]
    ]

    assert all(400 <= status < 500 for status in answers), answers
    image.refresh_from_db()
    assert image.label_version == 0
