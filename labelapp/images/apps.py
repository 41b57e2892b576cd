from django.apps import AppConfig
from django.db.models.signals import post_delete


class ImagesConfig(AppConfig):
    name = "labelapp.images"
    label = "images"

    def ready(self) -> None:
        from labelapp.images.cleanup import remove_image_files, remove_staged_files
        from labelapp.images.models import Image, UploadBatch

        post_delete.connect(remove_image_files, sender=Image, dispatch_uid="image-files")
        post_delete.connect(remove_staged_files, sender=UploadBatch, dispatch_uid="staged-files")
