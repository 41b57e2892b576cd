"""A project's images with their labels and predictions, as CSV, JSON or an ImageNet zip.

Every function is a generator, so a view can stream the answer: memory stays flat
whatever the number of images. The prediction shown is the one made by the project's
current classifier (``project.current_classifier``), as on the labeling pages.

CSV columns: ``image_id, original_name, content_hash, width, height, label, label_source,
predicted_label, confidence, model_version_number`` and one ``probability:<class name>`` column
per class. ``label_source`` says who gave the label: ``person``, ``import`` (a labels file or
class folders) or ``prediction`` (an accepted prediction, which nobody checked). The CSV can
be read back by ``label_import.import_labels``. ``model_version_number`` is the classifier's
number, as the pages say "Classifier v2"; the JSON's predictions carry it too, beside
``model_version_id``, and its header ``model_version`` has both.
"""

import csv
import io
import json
import zipfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any

from labelapp.images.file_names import safe_file_name
from labelapp.images.image_bytes import ImageUnavailable, open_image, stored_extension
from labelapp.images.label_sources import newest_source
from labelapp.images.models import Image, LabelSource
from labelapp.learning.models import Prediction
from labelapp.projects.models import LabelClass, Project

CHUNK_IMAGES = 1000
COPY_BYTES = 256 * 1024
BASE_COLUMNS = [
    "image_id",
    "original_name",
    "content_hash",
    "width",
    "height",
    "label",
    "label_source",
    "predicted_label",
    "confidence",
    "model_version_number",
]
# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportRow:
    image: Image
    label: str
    prediction: Prediction | None
    label_source: str = ""  # a LabelSource value; "" without a label


def export_rows(project: Project) -> Iterator[ExportRow]:
    """Every image of the project in id order, with its label and current prediction."""
    names = dict(LabelClass.objects.filter(project=project).values_list("id", "name"))
    images = Image.objects.filter(project=project).annotate(newest_source=newest_source())
    images = images.order_by("id")
    batch: list[Image] = []
    for image in images.iterator(chunk_size=CHUNK_IMAGES):
        batch.append(image)
        if len(batch) == CHUNK_IMAGES:
            yield from _with_predictions(project, batch, names)
            batch = []
    yield from _with_predictions(project, batch, names)


def csv_lines(project: Project) -> Iterator[str]:
    """The CSV export, one line at a time (header first)."""
    classes = list(LabelClass.objects.filter(project=project))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*BASE_COLUMNS, *(f"probability:{c.name}" for c in classes)])
    yield _take(buffer)
    version = project.current_classifier
    for row in export_rows(project):
        probabilities = row.prediction.probabilities if row.prediction else {}
        predicted = row.prediction.predicted_class.name if row.prediction else ""
        writer.writerow(
            [
                row.image.pk,
                _safe_cell(row.image.original_name),
                row.image.content_hash,
                row.image.width,
                row.image.height,
                _safe_cell(row.label),
                row.label_source,
                _safe_cell(predicted),
                f"{row.prediction.confidence:.6f}" if row.prediction else "",
                version.number if row.prediction and version else "",
                *(_probability(probabilities, c.pk) for c in classes),
            ]
        )
        yield _take(buffer)


def json_chunks(project: Project) -> Iterator[str]:
    """The JSON export: {"project", "classes", "model_version", "images": [...]}."""
    classes = list(LabelClass.objects.filter(project=project))
    names = {str(c.pk): c.name for c in classes}
    version = project.current_classifier
    header = {
        "project": {"id": project.pk, "name": project.name},
        "classes": [{"id": c.pk, "name": c.name, "color": c.color} for c in classes],
        "model_version": {"id": version.pk, "number": version.number} if version else None,
    }
    yield json.dumps(header)[:-1] + ', "images": ['
    number = version.number if version else None
    for index, row in enumerate(export_rows(project)):
        yield ("," if index else "") + json.dumps(_image_json(row, names, number))
    yield "]}"


def imagenet_zip_chunks(project: Project) -> Iterator[bytes]:
    """A zip of every labeled picture in ImageNet layout: ``<class>/<image id>-<name>``.

    Written to a pipe and yielded piece by piece, so no temporary file is needed.
    """
    pipe = ZipPipe()
    folders = class_folders(project)
    images = Image.objects.filter(project=project, current_label__isnull=False).order_by("id")
    images = images.select_related("bucket_source")
    with zipfile.ZipFile(pipe, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for image in images.iterator(chunk_size=CHUNK_IMAGES):
            yield from zip_image(archive, pipe, folders[image.current_label_id or 0], image)
    yield pipe.take()


def member_name(image: Image) -> str:
    """``<image id>-<safe original stem>.<stored extension>``: unique within a project."""
    stem = safe_file_name(image.original_name.rsplit("/", 1)[-1].rsplit(".", 1)[0], "image")
    return f"{image.pk}-{stem}.{stored_extension(image)}"


def zip_image(
    archive: zipfile.ZipFile, pipe: "ZipPipe", folder: str, image: Image
) -> Generator[bytes, None, bool]:
    """Copy a picture into ``folder/`` of the archive, yielding the zip's bytes; returns
    whether the picture could be read (from storage, or from the bucket it was left in)."""
    try:
        source = open_image(image)
    except ImageUnavailable:
        return False  # a picture lost from storage must not break the whole download
    member = zipfile.ZipInfo(
        f"{folder}/{member_name(image)}", date_time=image.created_at.timetuple()[:6]
    )
    with source:
        member.file_size = source.seek(0, io.SEEK_END)
        source.seek(0)
        with archive.open(member, "w", force_zip64=member.file_size > 2**31) as target:
            while chunk := source.read(COPY_BYTES):
                target.write(chunk)
                yield pipe.take()
    return True


def class_folders(project: Project) -> dict[int, str]:
    """A distinct, safe folder name per class ("a?" and "a!" must not share a folder)."""
    folders: dict[int, str] = {}
    for label_class in LabelClass.objects.filter(project=project):
        folder = safe_file_name(label_class.name, f"class-{label_class.pk}")
        if folder in folders.values():
            folder = f"{folder}-{label_class.pk}"
        folders[label_class.pk] = folder
    return folders


class ZipPipe:
    """A write-only, unseekable file: zipfile then writes data descriptors and streams."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def _with_predictions(
    project: Project, images: list[Image], names: dict[int, str]
) -> Iterator[ExportRow]:
    predictions: dict[int, Prediction] = {}
    if project.current_classifier_id is not None and images:
        rows = Prediction.objects.filter(
            model_version_id=project.current_classifier_id, image__in=images
        ).select_related("predicted_class")
        predictions = {prediction.image_id: prediction for prediction in rows}
    for image in images:
        label = names.get(image.current_label_id, "") if image.current_label_id else ""
        # labels without a history row count as a person's, as in label_sources
        source = (getattr(image, "newest_source", None) or LabelSource.PERSON) if label else ""
        yield ExportRow(image, label, predictions.get(image.pk), source)


def _image_json(row: ExportRow, names: dict[str, str], number: int | None) -> dict[str, Any]:
    """One image of the JSON export; ``number``: the current classifier's, which made every
    prediction in it."""
    prediction = None
    if row.prediction is not None:
        prediction = {
            "label": row.prediction.predicted_class.name,
            "confidence": row.prediction.confidence,
            "model_version_id": row.prediction.model_version_id,
            "model_version_number": number,
            "probabilities": {
                names.get(class_id, class_id): p
                for class_id, p in row.prediction.probabilities.items()
            },
        }
    image = row.image
    return {
        "image_id": image.pk,
        "original_name": image.original_name,
        "content_hash": image.content_hash,
        "width": image.width,
        "height": image.height,
        "label": row.label or None,
        "label_source": row.label_source or None,
        "prediction": prediction,
    }


def _probability(probabilities: dict[str, float], class_id: int) -> str:
    value = probabilities.get(str(class_id))
    return "" if value is None else f"{value:.6f}"


def _safe_cell(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _take(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
