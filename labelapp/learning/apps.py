from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "labelapp.learning"
    label = "learning"
