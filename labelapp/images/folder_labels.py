"""Class folders as labels: ``cat/1.jpg`` in a zip or a server folder is labeled "cat".

Off by default: a checkbox on the upload page, ``labels_from_folders`` in the API and
``--labels-from-folders`` for ``import_folder``. The class is the folder a file is in;
files at the top level get none, and classes the project lacks are created. Only images
the import added are labeled, so a duplicate of an image already in the project keeps its
label. These labels count as given by a person (source "import", like a labels CSV):
someone sorted those folders, and estimates are scored on them (see label_sources.py).
"""

from pathlib import PurePosixPath

from labelapp.images.label_import import LabelImportReport, LabelRow, import_label_rows
from labelapp.images.models import Image, UploadBatch
from labelapp.projects.class_editing import ClassEditError, add_class
from labelapp.projects.class_lines import PALETTE, fill_keys
from labelapp.projects.models import LabelClass, Project

CLASS_NAME_LENGTH = 100


def label_from_folders(batch: UploadBatch) -> LabelImportReport:
    """Label the batch's images by their folder; returns what was applied."""
    rows = [
        LabelRow(image_id, "id", str(image_id), folder_class(name))
        for image_id, name in Image.objects.filter(batch=batch).values_list("id", "original_name")
    ]
    rows = [row for row in rows if row.label]
    _add_missing_classes(batch.project, {row.label for row in rows})
    return import_label_rows(batch.project, batch.created_by, rows)


def folder_class(name: str) -> str:
    """The class a file's path names: its folder ("a/cat/1.jpg" -> "cat"), or ""."""
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return parts[-2].strip()[:CLASS_NAME_LENGTH] if len(parts) > 1 else ""


def _add_missing_classes(project: Project, names: set[str]) -> None:
    known = {name.casefold() for name in project.classes.values_list("name", flat=True)}
    missing = sorted({name for name in names if name.casefold() not in known})
    taken = set(project.classes.values_list("key", flat=True))
    for name, key in zip(missing, fill_keys(missing, [""] * len(missing), taken), strict=True):
        if name.casefold() in known:
            continue
        color = PALETTE[LabelClass.objects.filter(project=project).count() % len(PALETTE)]
        try:
            add_class(project, name, color, key)
        except ClassEditError:
            continue  # too many classes: its rows are reported as naming no class
        known.add(name.casefold())
