"""Labels read from a CSV file: validated row by row, applied together in one transaction.

The first row names the columns. One of them identifies the image: ``image_id`` (or
``id``), ``content_hash`` (``sha256``, ``hash``: the SHA-256 of the file as uploaded) or
``original_name`` (``name``, ``file``, ``filename``); another, ``label``, names the class.
The CSV export has all of these, so exporting and importing again changes nothing.
A row with an empty label is left alone; a row whose label is already the image's
current label adds nothing to the history.
"""

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import transaction
from django.db.models import F

from labelapp.images.models import Image, Label, LabelSource
from labelapp.projects.models import LabelClass, Project
from labelapp.webhooks import events as webhook_events

MAX_CSV_BYTES = 50 * 1024 * 1024
MAX_PROBLEMS_LISTED = 500
ID_COLUMNS = ("image_id", "id")
HASH_COLUMNS = ("content_hash", "sha256", "hash")
NAME_COLUMNS = ("original_name", "name", "file", "filename")
LABEL_COLUMNS = ("label", "class", "label_name")


class LabelFileRejected(Exception):
    """The file as a whole cannot be read; ``str(error)`` says why, for a person."""


@dataclass
class LabelImportReport:
    applied: int = 0
    unchanged: int = 0
    skipped: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)  # {"row": 3, "message": …}
    problem_count: int = 0

    def problem(self, row: int, message: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS_LISTED:
            self.problems.append({"row": row, "message": message})


@dataclass(frozen=True)
class LabelRow:
    """One label to apply: the image by ``kind`` ("id", "hash" or "name") and ``key``."""

    row: int  # as reported back: the CSV line, or the index in an API request
    kind: str
    key: str
    label: str
    problem: str = ""  # why the row cannot be read, when it cannot


def import_labels(project: Project, user: Any, csv_file: IO[bytes]) -> LabelImportReport:
    """Apply the labels in ``csv_file`` (bytes, UTF-8) to the project's images.

    Each valid row creates a ``Label`` with source "import" and sets the image's current
    label, bumping its ``label_version``; all in one transaction. Rows naming an unknown
    image or class, or too few fields, are reported by line (the header is line 1) and not
    applied; rows with an empty label are counted as ``skipped``. Raises
    LabelFileRejected when the file is too large, not UTF-8 text or has no usable columns.
    """
    reader = csv.DictReader(_text(csv_file))
    columns = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
    label_column = _pick(columns, LABEL_COLUMNS)
    key_column = _pick(columns, ID_COLUMNS + HASH_COLUMNS + NAME_COLUMNS)
    if label_column is None or key_column is None:
        raise LabelFileRejected(
            "The first row must name a label column (label) and an image column "
            "(image_id, content_hash or original_name)."
        )
    kind = key_kind(key_column.strip().lower())
    width = len(reader.fieldnames or [])

    def rows() -> Iterable[LabelRow]:
        for row in reader:  # reader.line_num: the file's line, blank lines counted
            key, label = row.get(key_column), row.get(label_column)
            problem = ""
            if key is None or label is None:
                fields = sum(value is not None for name, value in row.items() if name is not None)
                problem = f"This row has {fields} of the header's {width} fields: a missing comma?"
            yield LabelRow(reader.line_num, kind, _cell(key), _cell(label), problem)

    try:
        return import_label_rows(project, user, rows())
    except csv.Error as error:
        raise LabelFileRejected(f"The CSV file cannot be read: {error}.") from None


def import_label_rows(project: Project, user: Any, rows: Iterable[LabelRow]) -> LabelImportReport:
    """Apply every valid row (source "import", one transaction); report the others."""
    finders: dict[str, ImageFinder] = {}
    classes = {c.name: c for c in LabelClass.objects.filter(project=project)}
    by_folded_name = {name.casefold(): c for name, c in classes.items()}
    report = LabelImportReport()
    chosen: dict[int, tuple[int, LabelClass]] = {}  # image id -> (row, class)
    for row in rows:
        if row.problem:
            report.problem(row.row, row.problem)
            continue
        if not row.label:
            report.skipped += 1
            continue
        label_class = classes.get(row.label) or by_folded_name.get(row.label.casefold())
        if label_class is None:
            report.problem(row.row, f"There is no class named {row.label!r}.")
            continue
        if row.kind not in finders:
            finders[row.kind] = ImageFinder(project, row.kind)
        image_id, problem = finders[row.kind].find(row.key)
        if image_id is None:
            report.problem(row.row, problem)
            continue
        if image_id in chosen:
            earlier = chosen[image_id][0]
            report.problem(
                row.row, f"This image has a label earlier in the list (at {earlier}); ignored."
            )
            continue
        chosen[image_id] = (row.row, label_class)
    _apply(project, user, {image: choice[1] for image, choice in chosen.items()}, report)
    return report


def key_kind(column: str) -> str:
    """ "id", "hash" or "name": how a column (or API field) names an image."""
    return "id" if column in ID_COLUMNS else "hash" if column in HASH_COLUMNS else "name"


def _apply(
    project: Project, user: Any, chosen: dict[int, LabelClass], report: LabelImportReport
) -> None:
    with transaction.atomic():
        current = dict(
            Image.objects.select_for_update()
            .filter(project=project, pk__in=list(chosen))
            .values_list("id", "current_label_id")
        )
        by_class: dict[int, list[int]] = defaultdict(list)
        new_labels = []
        for image_id, label_class in chosen.items():
            if current.get(image_id) == label_class.pk:
                report.unchanged += 1
                continue
            by_class[label_class.pk].append(image_id)
            new_labels.append(
                Label(
                    image_id=image_id,
                    label_class=label_class,
                    user=user,
                    source=LabelSource.IMPORT,
                )
            )
        for class_id, image_ids in by_class.items():
            Image.objects.filter(pk__in=image_ids).update(
                current_label_id=class_id, label_version=F("label_version") + 1
            )
        Label.objects.bulk_create(new_labels, batch_size=1000)
        report.applied = len(new_labels)
        changed = [label.image_id for label in new_labels]
        webhook_events.labels_changed(project.pk, changed, LabelSource.IMPORT)


class ImageFinder:
    """Looks an image up by id, content hash or original name, loaded once per import."""

    def __init__(self, project: Project, kind: str) -> None:
        images = Image.objects.filter(project=project)
        self.kind = kind
        self.ids: dict[str, int] = {}
        self.ambiguous: set[str] = set()
        field_name = {"id": "id", "hash": "content_hash", "name": "original_name"}[self.kind]
        for image_id, value in images.values_list("id", field_name).iterator(chunk_size=5000):
            value = str(value).lower() if self.kind == "hash" else str(value)
            if value in self.ids:
                self.ambiguous.add(value)
            self.ids[value] = image_id

    def find(self, key: str) -> tuple[int | None, str]:
        if not key:
            return None, "The image column is empty."
        lookup = key.lower() if self.kind == "hash" else key
        if lookup in self.ambiguous:
            return None, f"Several images are named {key!r}; use image_id or content_hash."
        image_id = self.ids.get(lookup)
        if image_id is None:
            return None, f"No image in this project has {self.kind} {key!r}."
        return image_id, ""


def _text(csv_file: IO[bytes]) -> io.StringIO:
    data = csv_file.read(MAX_CSV_BYTES + 1)
    if len(data) > MAX_CSV_BYTES:
        raise LabelFileRejected(f"The file is larger than {MAX_CSV_BYTES // 1024**2} MB.")
    if not data.strip():
        raise LabelFileRejected("The file is empty.")
    if b"\0" in data:
        raise LabelFileRejected("This is not a CSV text file.")
    try:
        return io.StringIO(data.decode("utf-8-sig"), newline="")
    except UnicodeDecodeError:
        raise LabelFileRejected("The file is not UTF-8 text; save it as CSV (UTF-8).") from None


def _pick(columns: dict[str, str], candidates: tuple[str, ...]) -> str | None:
    for candidate in candidates:
        if candidate in columns:
            return columns[candidate]
    return None


def _cell(value: object) -> str:
    text = str(value or "").strip() if not isinstance(value, list) else ""
    # The export prefixes cells that a spreadsheet would run as formulas with a quote.
    if text.startswith("'") and text[1:2] in ("=", "+", "-", "@"):
        return text[1:]
    return text
