"""Adding and removing a project's webhooks."""

import secrets

from labelapp.outbound import OutboundRefused, check_target
from labelapp.projects.models import Project
from labelapp.webhooks.models import Event, Webhook


class WebhookRejected(ValueError):
    """The webhook cannot be added; ``str(error)`` says why, for a person."""


def add_webhook(project: Project, url: str, events: list[str], secret: str = "") -> Webhook:
    """Check the target (the same address rule as URL imports) and save the webhook; a
    blank secret is generated. Raises WebhookRejected."""
    url = url.strip()
    if not url or len(url) > 500:
        raise WebhookRejected("Give the receiver's address (at most 500 characters).")
    unknown = set(events) - set(Event.values)
    if unknown or not events:
        raise WebhookRejected("Choose at least one of the events listed.")
    try:
        check_target(url)
    except OutboundRefused as refusal:
        raise WebhookRejected(str(refusal)) from None
    if len(secret) > 128:
        raise WebhookRejected("The secret is at most 128 characters.")
    secret = secret or secrets.token_urlsafe(32)
    ordered = [event for event in Event.values if event in events]
    return Webhook.objects.create(project=project, url=url, secret=secret, events=ordered)
