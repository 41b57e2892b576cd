from django.contrib import admin

from labelapp.learning.models import ModelVersion, Prediction, QueueItem


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin[ModelVersion]):
    list_display = ["id", "project", "kind", "number", "created_at"]
    list_filter = ["kind", "project"]
    raw_id_fields = ["job", "encoder"]


@admin.register(Prediction)
class PredictionAdmin(admin.ModelAdmin[Prediction]):
    list_display = ["id", "image", "model_version", "predicted_class", "confidence", "margin"]
    list_filter = ["model_version"]
    raw_id_fields = ["image", "model_version", "predicted_class"]


@admin.register(QueueItem)
class QueueItemAdmin(admin.ModelAdmin[QueueItem]):
    list_display = ["id", "project", "rank", "image", "strategy", "score", "reason"]
    list_filter = ["strategy", "project"]
    raw_id_fields = ["image"]
