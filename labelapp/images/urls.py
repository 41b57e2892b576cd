"""Pictures, thumbnails and exports; see media_views.py and views.py for the URL names."""

from django.urls import URLPattern, path

import labelapp.ids  # noqa: F401  (registers the <id:...> path converter used below)
from labelapp.images import dataset_views, views
from labelapp.images import media_views as media

image = "projects/<id:project_id>/images/<id:image_id>/"
hashed = image + "<str:content_hash>/"
project = "projects/<id:project_id>/"

urlpatterns: list[URLPattern] = [
    path(image + "thumbnail/", media.image_thumbnail, name="image-thumbnail"),
    path(image + "file/", media.image_file, name="image-file"),
    path(hashed + "thumbnail.jpg", media.image_thumbnail_hashed, name="image-thumbnail-hashed"),
    path(hashed + "file", media.image_file_hashed, name="image-file-hashed"),
    path(project + "export/labels.csv", views.export_csv, name="project-export-csv"),
    path(project + "export/labels.json", views.export_json, name="project-export-json"),
    path(project + "export/imagenet.zip", views.export_imagenet_zip, name="project-export-zip"),
    path(
        project + "export/huggingface.zip",
        dataset_views.export_huggingface,
        name="project-export-huggingface",
    ),
    path(project + "export/yolo.zip", dataset_views.export_yolo, name="project-export-yolo"),
]
