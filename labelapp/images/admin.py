from django.contrib import admin

from labelapp.images.models import Image, Label, UploadBatch


@admin.register(UploadBatch)
class UploadBatchAdmin(admin.ModelAdmin[UploadBatch]):
    list_display = ["id", "project", "created_by", "created_at", "added", "duplicates", "rejected"]
    list_filter = ["project"]
    raw_id_fields = ["job"]
    readonly_fields = ["created_at"]


class LabelInline(admin.TabularInline[Label, Image]):
    model = Label
    extra = 0
    raw_id_fields = ["model_version"]
    readonly_fields = ["created_at"]


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin[Image]):
    list_display = ["id", "project", "original_name", "width", "height", "format", "current_label"]
    list_filter = ["project", "format"]
    search_fields = ["original_name", "content_hash"]
    raw_id_fields = ["batch", "current_label"]
    # Where a picture left in a bucket lives is set by its import; the bucket's keys are
    # never shown (BucketSource has no admin page).
    readonly_fields = [
        "content_hash",
        "created_at",
        "label_version",
        "bucket_source",
        "object_key",
        "object_size",
    ]
    inlines = [LabelInline]


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin[Label]):
    list_display = ["id", "image", "label_class", "user", "source", "created_at"]
    list_filter = ["source"]
    raw_id_fields = ["image", "label_class", "model_version"]
