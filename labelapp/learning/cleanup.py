"""Files follow their rows: deleting a model version (or its project) deletes its weights, its
representations and the arrays derived from them; deleting a project deletes its decoded-image
cache. Deletion waits for the transaction to commit, so a rolled-back delete keeps its files."""

import shutil
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction

from labelapp.insights.stored_arrays import delete_derived_arrays
from labelapp.learning.dataset_cache import cache_path
from labelapp.learning.model_export import remove_exports
from labelapp.learning.models import ModelVersion
from labelapp.projects.models import Project


def remove_version_files(sender: type[ModelVersion], instance: ModelVersion, **_: Any) -> None:
    names = [name for name in (instance.weights.name, instance.representations.name) if name]
    version_id = instance.pk
    export = (instance.config or {}).get("export") or {}

    def remove() -> None:
        for name in names:
            default_storage.delete(name)
        remove_exports(export)
        delete_derived_arrays(version_id)

    transaction.on_commit(remove)


def remove_project_cache(sender: type[Project], instance: Project, **_: Any) -> None:
    folder = cache_path(instance.pk)
    transaction.on_commit(lambda: shutil.rmtree(folder, ignore_errors=True))
