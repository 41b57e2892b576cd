from django.apps import AppConfig


class BackupConfig(AppConfig):
    name = "labelapp.backup"
    label = "backup"
