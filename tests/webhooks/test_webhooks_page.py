"""The webhooks page: owners add webhooks and read the delivery log; no one else."""

from django.test import Client

from labelapp.webhooks.models import Delivery, Event, Webhook
from tests.web.people import Team


def test_an_owner_adds_a_webhook_and_sees_its_deliveries(client: Client, team: Team, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    client.force_login(team.owner)
    form = {"url": "http://127.0.0.1:8123/hook", "events": [Event.JOB_FINISHED]}

    page = client.post(f"/projects/{team.project.pk}/webhooks/", form, follow=True)

    webhook = Webhook.objects.get(project=team.project)
    assert webhook.events == ["job.finished"] and len(webhook.secret) >= 32
    assert webhook.secret in page.content.decode()  # shown once, when made
    Delivery.objects.create(webhook=webhook, event=Event.JOB_FINISHED, error="No answer.")
    log = client.get(f"/projects/{team.project.pk}/webhooks/").content.decode()
    assert "No answer." in log and webhook.secret not in log


def test_a_private_address_is_refused_when_added(client: Client, team: Team):
    client.force_login(team.owner)
    form = {"url": "http://169.254.169.254/latest", "events": [Event.JOB_FINISHED]}

    page = client.post(f"/projects/{team.project.pk}/webhooks/", form).content.decode()

    assert "a link-local address" in page
    assert not Webhook.objects.exists()


def test_labelers_cannot_see_or_add_webhooks(client: Client, team: Team):
    client.force_login(team.labeler)

    assert client.get(f"/projects/{team.project.pk}/webhooks/").status_code == 403
