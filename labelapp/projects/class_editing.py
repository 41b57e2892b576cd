"""Renaming, recolouring and adding a project's classes after it was created.

Classes are never deleted here: every label in the history points at its class.
"""

from django.db import transaction

from labelapp.projects.class_lines import COLOR_PATTERN, MAX_CLASSES, RESERVED_KEYS
from labelapp.projects.models import LabelClass, Project


class ClassEditError(ValueError):
    pass


def _check(project: Project, name: str, color: str, key: str, exclude: int | None) -> None:
    others = LabelClass.objects.filter(project=project)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    if not name.strip():
        raise ClassEditError("A class needs a name.")
    if others.filter(name__iexact=name.strip()).exists():
        raise ClassEditError(f"There is already a class called '{name.strip()}'.")
    if not COLOR_PATTERN.match(color):
        raise ClassEditError(f"'{color}' is not a colour like #e15759.")
    if len(key) > 1 or key.lower() in RESERVED_KEYS:
        raise ClassEditError("A key is one character other than a, z or space (or none).")
    if key and others.filter(key=key.lower()).exists():
        raise ClassEditError(f"The key '{key}' already belongs to another class.")


def update_class(label_class: LabelClass, name: str, color: str, key: str) -> LabelClass:
    with transaction.atomic():
        Project.objects.select_for_update().filter(pk=label_class.project_id).first()
        _check(label_class.project, name, color, key, exclude=label_class.pk)
        label_class.name, label_class.color = name.strip(), color.lower()
        label_class.key = key.lower()
        label_class.save(update_fields=["name", "color", "key"])
    return label_class


def add_class(project: Project, name: str, color: str, key: str) -> LabelClass:
    with transaction.atomic():
        Project.objects.select_for_update().filter(pk=project.pk).first()
        count = LabelClass.objects.filter(project=project).count()
        if count >= MAX_CLASSES:
            raise ClassEditError(f"A project may have at most {MAX_CLASSES} classes.")
        _check(project, name, color, key, exclude=None)
        return LabelClass.objects.create(
            project=project, name=name.strip(), color=color.lower(), key=key.lower(), position=count
        )
