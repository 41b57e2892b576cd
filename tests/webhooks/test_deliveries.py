"""Webhook deliveries: what each event sends, the signature, failures and the address rule."""

import hashlib
import hmac
import json

from labelapp.images.labeling import set_label
from labelapp.jobs import services
from labelapp.jobs.models import JobKind
from labelapp.learning.external_predictions import PredictionRow, store_external_predictions
from labelapp.webhooks.delivery import attempt_delivery
from labelapp.webhooks.models import Delivery, DeliveryStatus, Event
from tests.fixtures.http_server import Answer, LocalServer
from tests.web.people import Team, make_images
from tests.webhooks.conftest import SECRET


def test_a_finished_job_is_posted_signed_with_the_secret(team: Team, hook, local_server):
    local_server.answers["/hook"] = Answer(204)
    job = services.enqueue_job(JobKind.EMBED, team.project, team.owner)
    services.claim_job(job.pk, worker="test", device="cpu")
    services.fail_job(job.pk, "The disk is full.")
    delivery = Delivery.objects.get(event=Event.JOB_FINISHED)

    assert attempt_delivery(delivery.pk) is None

    (_, _, headers, body) = local_server.requests[0]
    expected = hmac.new(
        SECRET.encode(), headers["X-Labelapp-Timestamp"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert headers["X-Labelapp-Signature"] == f"sha256={expected}"
    sent = json.loads(body)
    assert (sent["event"], sent["project"], sent["data"]["job"]) == (
        "job.finished",
        team.project.pk,
        job.pk,
    )
    assert (sent["data"]["status"], sent["data"]["error"]) == ("failed", "The disk is full.")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_status) == (DeliveryStatus.DELIVERED, 204)


def test_a_burst_of_labels_is_one_delivery_listing_the_images(team: Team, hook):
    first, second = make_images(team.project, 2)
    cat = team.classes[0]

    set_label(first, cat, team.labeler, 0)
    set_label(second, cat, team.labeler, 0)

    delivery = Delivery.objects.get(event=Event.LABELS_CHANGED)
    assert delivery.payload["images"] == [first.pk, second.pk]
    assert (delivery.payload["count"], delivery.payload["sources"]) == (2, ["person"])


def test_a_new_model_version_is_announced_with_its_source(team: Team, hook):
    (image,) = make_images(team.project, 1)

    row = PredictionRow(0, "id", str(image.pk), {"cat": 1.0})
    report = store_external_predictions(team.project, "their-model", [row])

    delivery = Delivery.objects.get(event=Event.MODEL_VERSION_CREATED)
    assert delivery.payload["model_version"] == report.version.pk
    assert delivery.payload["source"] == "their-model"


def test_only_the_chosen_events_are_sent(team: Team, hook):
    hook.events = [Event.JOB_FINISHED]
    hook.save()
    (image,) = make_images(team.project, 1)

    set_label(image, team.classes[0], team.labeler, 0)

    assert not Delivery.objects.exists()


def test_a_failed_call_waits_longer_each_time_then_gives_up(
    team: Team, hook, local_server: LocalServer, settings
):
    settings.WEBHOOK_RETRY_BASE_SECONDS, settings.WEBHOOK_MAX_ATTEMPTS = 5, 3
    local_server.answers["/hook"] = Answer(500)
    delivery = Delivery.objects.create(webhook=hook, event=Event.JOB_FINISHED, payload={})

    delays = [attempt_delivery(delivery.pk) for _ in range(3)]

    assert delays == [5.0, 10.0, None]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 3)
    assert delivery.error == "The receiver answered 500."


def test_a_receiver_in_the_private_network_is_never_called(
    team: Team, hook, local_server: LocalServer, settings
):
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    delivery = Delivery.objects.create(webhook=hook, event=Event.JOB_FINISHED, payload={})

    attempt_delivery(delivery.pk)

    delivery.refresh_from_db()
    assert "a loopback address" in delivery.error
    assert local_server.requests == []
