from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "labelapp.jobs"
    label = "jobs"
