"""What the learning jobs produce: model versions, predictions, the label-next queue."""

from django.db import models


class ModelKind(models.TextChoices):
    ENCODER = "encoder", "SimCLR encoder"
    CLASSIFIER = "classifier", "Classifier"


class ModelVersion(models.Model):
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="model_versions"
    )
    kind = models.CharField(max_length=16, choices=ModelKind.choices)
    number = models.PositiveIntegerField()  # 1, 2, 3… per project and kind
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    encoder = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="classifiers"
    )
    config = models.JSONField(default=dict)  # hyperparameters, class order, method
    metrics = models.JSONField(default=dict, blank=True)
    weights = models.FileField(upload_to="models/", blank=True)
    representations = models.FileField(upload_to="representations/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "kind", "number"], name="unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.number}"


class Prediction(models.Model):
    image = models.ForeignKey("images.Image", on_delete=models.CASCADE, related_name="predictions")
    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.CASCADE, related_name="predictions"
    )
    probabilities = models.JSONField()  # {"<class id>": p, ...}
    predicted_class = models.ForeignKey(
        "projects.LabelClass", on_delete=models.CASCADE, related_name="+"
    )
    confidence = models.FloatField()  # probability of the predicted class
    margin = models.FloatField()  # top-1 minus top-2 probability
    entropy = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["image", "model_version"], name="one_prediction")
        ]
        indexes = [models.Index(fields=["model_version", "confidence"])]


class QueueItem(models.Model):
    """The "label next" queue: images picked by active learning, with the reason why."""

    MANUAL = "manual"  # strategy of images a person put in the queue (the map's lasso)

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="queue_items"
    )
    image = models.ForeignKey("images.Image", on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveIntegerField()
    strategy = models.CharField(max_length=40)
    score = models.FloatField()
    reason = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["rank"]
