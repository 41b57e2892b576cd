from django.apps import AppConfig


class ImagesConfig(AppConfig):
    name = "labelapp.images"
    label = "images"
