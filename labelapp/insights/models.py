"""What the insight pages remember: labels a person looked at and chose to keep."""

from django.conf import settings
from django.db import models


class KeptLabel(models.Model):
    """A suspected label error that a person reviewed and kept as it was.

    Tied to the image's ``label_version``: when the label changes again, the image can be
    flagged again.
    """

    image = models.ForeignKey("images.Image", on_delete=models.CASCADE, related_name="+")
    label_version = models.PositiveIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["image", "label_version"], name="one_keep_per_version")
        ]

    def __str__(self) -> str:
        return f"kept label of image {self.image_id} at version {self.label_version}"
