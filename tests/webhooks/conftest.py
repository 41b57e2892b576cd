import pytest

from labelapp.webhooks.models import Event, Webhook
from tests.web.people import team  # noqa: F401

LOOPBACK = ["127.0.0.0/8"]
SECRET = "receiver-shared-secret"


@pytest.fixture
def hook(team, local_server, settings) -> Webhook:  # noqa: F811
    """A webhook of the team's project to the test's receiver, for every event."""
    settings.OUTBOUND_ALLOWED_NETWORKS = LOOPBACK
    return Webhook.objects.create(
        project=team.project, url=local_server.url("/hook"), secret=SECRET, events=Event.values
    )
