"""Images, the batches they arrived in, and their labels (with full history)."""

from django.conf import settings
from django.db import models


class UploadBatch(models.Model):
    """One upload (files, a zip, a folder) and its per-file report."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="upload_batches"
    )
    job = models.OneToOneField(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="upload_batch"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # [{"name": "a/b.jpg", "status": "added" | "duplicate" | "rejected", "message": "..."}]
    report = models.JSONField(default=list, blank=True)
    added = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    # What was received, in upload order: {"name": "a.jpg", "path": "uploads/7/0-a.jpg"} for a
    # staged file, {"name": "b.exe", "message": "..."} for one refused at upload time.
    staged_files = models.JSONField(default=list, blank=True)
    # Label each added image with the class its folder names (labelapp/images/folder_labels.py).
    labels_from_folders = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"Upload #{self.pk}"


class BucketMode(models.TextChoices):
    COPY = "copy", "Copy the photos"
    REFERENCE = "reference", "Leave the photos in the bucket"


class BucketSource(models.Model):
    """Where a bucket import reads from; the secret is never shown or logged. It is wiped
    with the rest of the staging once the import has finished (labelapp/images/sources.py),
    unless the import left pictures in the bucket (``mode`` REFERENCE): those are read with
    it whenever their bytes are needed (labelapp/images/image_bytes.py)."""

    batch = models.OneToOneField(UploadBatch, on_delete=models.CASCADE, related_name="bucket")
    endpoint_url = models.CharField(max_length=500, blank=True)  # blank: Amazon S3
    region = models.CharField(max_length=50, blank=True)
    bucket = models.CharField(max_length=255)
    prefix = models.CharField(max_length=1024, blank=True)
    access_key_id = models.CharField(max_length=128, blank=True)  # blank: anonymous
    secret_access_key = models.CharField(max_length=256, blank=True)
    mode = models.CharField(max_length=10, choices=BucketMode.choices, default=BucketMode.COPY)

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


class Image(models.Model):
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="images")
    batch = models.ForeignKey(
        UploadBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="images"
    )
    # Blank for a picture left in a bucket (``bucket_source`` and ``object_key`` say where);
    # read the bytes with labelapp.images.image_bytes.open_image, whichever it is.
    file = models.FileField(upload_to="images/%Y/%m/", blank=True)
    thumbnail = models.FileField(upload_to="thumbnails/%Y/%m/", blank=True)
    content_hash = models.CharField(max_length=64)  # sha256 of the bytes as uploaded
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    format = models.CharField(max_length=10)
    original_name = models.CharField(max_length=500)
    # RESTRICT: a batch cannot be deleted while its pictures are read from its bucket, but a
    # project's deletion takes both away together.
    bucket_source = models.ForeignKey(
        BucketSource, null=True, blank=True, on_delete=models.RESTRICT, related_name="images"
    )
    object_key = models.CharField(max_length=1024, blank=True)
    object_size = models.PositiveBigIntegerField(null=True, blank=True)  # bytes, at import
    created_at = models.DateTimeField(auto_now_add=True)
    # The current label, kept here for fast filtering; Label rows hold the history.
    current_label = models.ForeignKey(
        "projects.LabelClass", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Bumped by every label change; a client that saw an older version gets a conflict.
    label_version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "content_hash"], name="unique_image_hash")
        ]
        indexes = [models.Index(fields=["project", "current_label"])]

    def __str__(self) -> str:
        return self.original_name


class LabelSource(models.TextChoices):
    PERSON = "person", "Set by a person"
    PREDICTION = "prediction", "Accepted prediction"
    IMPORT = "import", "Imported"


class Label(models.Model):
    """Append-only history: a new row for every change, ``label_class`` None when cleared."""

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="labels")
    label_class = models.ForeignKey(
        "projects.LabelClass", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=16, choices=LabelSource.choices)
    model_version = models.ForeignKey(
        "learning.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The "label next" strategy that offered the image on the page a person labeled it from,
    # "" when they found it elsewhere (the grid, search). Labels of images picked as the
    # model's least sure are scored, but they do not calibrate the accuracy expected on the
    # unlabeled images (they are harder than those: labelapp/images/label_sources.py).
    picked_by = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
