"""Projects and who may do what in them."""

from typing import Any

from django.conf import settings
from django.db import models


class EncoderStart(models.TextChoices):
    """Where a project's encoder starts: features learned from ImageNet's photos, or nothing."""

    IMAGENET = "imagenet", "ImageNet-pretrained EfficientNet-Lite0 (recommended for photos)"
    RANDOM = "random", "Random initialization: learn only from these images (SimCLR from scratch)"


class Project(models.Model):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Switched only when a predict job has written every prediction, so the pages never
    # show a mix of two model versions.
    current_classifier = models.ForeignKey(
        "learning.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    current_encoder = models.ForeignKey(
        "learning.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    encoder_start = models.CharField(
        max_length=16, choices=EncoderStart.choices, default=EncoderStart.IMAGENET
    )

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    LABELER = "labeler", "Labeler"
    VIEWER = "viewer", "Viewer"


class Membership(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="one_membership_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} is {self.role} of {self.project}"


class LabelClass(models.Model):
    """One of a project's classes, with the colour and key used on the labeling page."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="classes")
    name = models.CharField(max_length=100)
    color = models.CharField(max_length=7, default="#4e79a7")  # "#rrggbb"
    key = models.CharField(max_length=1, blank=True)  # keyboard shortcut, e.g. "1"
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="unique_class_name"),
            models.UniqueConstraint(
                fields=["project", "key"],
                condition=~models.Q(key=""),
                name="unique_class_key",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def as_dict(self) -> dict[str, Any]:
        """The class as the pages' scripts read it (the API's LabelClassOut has these fields)."""
        return {"id": self.pk, "name": self.name, "color": self.color, "key": self.key}
