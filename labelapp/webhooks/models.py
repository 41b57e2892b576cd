"""A project's webhooks, and every delivery made to them (the delivery log)."""

from django.db import models


class Event(models.TextChoices):
    JOB_FINISHED = "job.finished", "A job finished"
    LABELS_CHANGED = "labels.changed", "Labels changed"
    MODEL_VERSION_CREATED = "model_version.created", "A model version was created"


class Webhook(models.Model):
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.CharField(max_length=500)
    secret = models.CharField(max_length=128)  # signs each body (HMAC-SHA256); never shown
    events = models.JSONField(default=list)  # values of Event
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class Delivery(models.Model):
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40, choices=Event.choices)
    payload = models.JSONField(default=dict)
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When its next attempt was handed to the broker; None while none is: before the first,
    # after a failed attempt until the retry is sent, or while the broker could not be
    # reached, when the worker's sweeper sends it again (events.send_unsent_deliveries).
    # An attempt begun (last_attempt_at) after it, long ago, was lost with its worker
    # (events.recover_lost_deliveries).
    sent_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["webhook", "status"])]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk} ({self.status})"
