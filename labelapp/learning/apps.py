from django.apps import AppConfig
from django.db.models.signals import post_delete


class LearningConfig(AppConfig):
    name = "labelapp.learning"
    label = "learning"

    def ready(self) -> None:
        from labelapp.learning.cleanup import remove_project_cache, remove_version_files
        from labelapp.learning.models import ModelVersion
        from labelapp.projects.models import Project

        post_delete.connect(remove_version_files, sender=ModelVersion, dispatch_uid="version-files")
        post_delete.connect(remove_project_cache, sender=Project, dispatch_uid="project-cache")
