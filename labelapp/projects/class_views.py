"""The classes page: owners rename, recolour, re-key or add classes."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from labelapp.projects import class_editing
from labelapp.projects.forms import ClassForm
from labelapp.projects.models import LabelClass
from labelapp.projects.permissions import ProjectAccess, project_role


def _save(request: HttpRequest, access: ProjectAccess, label_class: LabelClass | None) -> None:
    form = ClassForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(" ".join(str(e) for e in errors) for errors in form.errors.values())
        messages.error(request, f"Nothing changed: {problems}")
        return
    name, color, key = (form.cleaned_data[f] for f in ("name", "color", "key"))
    try:
        if label_class is None:
            class_editing.add_class(access.project, name, color, key)
        else:
            class_editing.update_class(label_class, name, color, key)
    except class_editing.ClassEditError as error:
        messages.error(request, f"Nothing changed: {error}")
    else:
        messages.success(request, f"Saved the class {name.strip()}.")


@project_role("owner", methods=("GET", "POST"))
def classes(request: HttpRequest, access: ProjectAccess) -> HttpResponse:
    if request.method == "POST":
        _save(request, access, None)
        return redirect("project-classes", project_id=access.project.pk)
    context = {"access": access, "project": access.project, "classes": access.project.classes.all()}
    return render(request, "projects/classes.html", context)


@project_role("owner", methods=("POST",))
def class_update(request: HttpRequest, access: ProjectAccess, class_id: int) -> HttpResponse:
    label_class = get_object_or_404(LabelClass, pk=class_id, project=access.project)
    _save(request, access, label_class)
    return redirect("project-classes", project_id=access.project.pk)
