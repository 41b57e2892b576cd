"""Labeled images as data sets that training code reads directly, split train/validation/test.

Two zip layouts, both streamed like the other exports:

- Hugging Face ``datasets`` imagefolder: ``<split>/<class>/<id>-<name>.<ext>`` and one
  ``<split>/metadata.jsonl`` per split whose ``file_name`` is relative to that folder, with
  the columns ``label`` (class name), ``label_source`` (as in the CSV export: ``person``,
  ``import`` or ``prediction``, an accepted prediction nobody checked), ``image_id``,
  ``content_hash`` and ``original_name``;
  splits ``train``, ``validation``, ``test`` (an empty split is left out). Load it with
  ``datasets.load_dataset("imagefolder", data_dir=...)``.
- YOLO classification (Ultralytics): ``train/<class>/``, ``val/<class>/``, ``test/<class>/``,
  every class folder present in every split (empty ones too), so that class indices, taken
  from the sorted folder names, are the same in each.

The split is stratified and seeded: within each class, images are ordered by the SHA-256 of
``"<seed>:<content hash>"`` and cut at the fractions asked for, so the same labels and seed
give the same split on any machine, and a picture keeps its place however it was imported.
A class with few images fills train first. Each zip holds a README.md naming the split and
how many labels of each split are a person's, imported or accepted predictions.
"""

import hashlib
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from labelapp.images.export import ZipPipe, class_folders, member_name, zip_image
from labelapp.images.label_sources import newest_source
from labelapp.images.models import Image, LabelSource
from labelapp.projects.models import LabelClass, Project

SPLITS = ("train", "validation", "test")
YOLO_SPLIT_FOLDERS = {"train": "train", "validation": "val", "test": "test"}


@dataclass(frozen=True)
class SplitSettings:
    seed: int = 0
    validation_fraction: float = 0.1
    test_fraction: float = 0.1

    def __post_init__(self) -> None:
        fractions = (self.validation_fraction, self.test_fraction)
        if min(fractions) < 0 or sum(fractions) >= 1:
            raise ValueError(
                "validation_fraction and test_fraction must be at least 0 and add up to less "
                "than 1, so that some images are left to train on."
            )


def split_counts(count: int, settings: SplitSettings) -> dict[str, int]:
    """How many of a class's ``count`` images go to each split (train gets at least one)."""
    test = int(count * settings.test_fraction + 0.5)  # halves round up
    validation = int(count * settings.validation_fraction + 0.5)
    while count and test + validation >= count:  # keep one to train on
        if test >= validation and test:
            test -= 1
        else:
            validation -= 1
    return {"train": count - validation - test, "validation": validation, "test": test}


def split_images(project: Project, settings: SplitSettings) -> dict[str, list[Image]]:
    """The labeled images of each split, in id order."""
    by_class: dict[int, list[Image]] = {}
    labeled = Image.objects.filter(project=project, current_label__isnull=False).order_by("id")
    fields = ("id", "file", "original_name", "content_hash", "current_label", "created_at",
              "format", "object_key", "object_size", "bucket_source")  # fmt: skip
    labeled = labeled.select_related("bucket_source").only(*fields)
    for image in labeled.annotate(newest_source=newest_source()):
        by_class.setdefault(image.current_label_id or 0, []).append(image)
    splits: dict[str, list[Image]] = {name: [] for name in SPLITS}
    for images in by_class.values():
        ordered = sorted(images, key=lambda image: _split_key(settings.seed, image))
        start = 0
        for name, count in split_counts(len(ordered), settings).items():
            splits[name].extend(ordered[start : start + count])
            start += count
    return {name: sorted(images, key=lambda image: image.pk) for name, images in splits.items()}


def _split_key(seed: int, image: Image) -> tuple[str, int]:
    return hashlib.sha256(f"{seed}:{image.content_hash}".encode()).hexdigest(), image.pk


def _label_source(image: Image) -> str:
    """Who gave the image its label; no history row means a person (label_sources)."""
    return getattr(image, "newest_source", None) or LabelSource.PERSON


def huggingface_zip_chunks(project: Project, settings: SplitSettings) -> Iterator[bytes]:
    folders = class_folders(project)
    names = dict(LabelClass.objects.filter(project=project).values_list("id", "name"))
    splits = split_images(project, settings)
    pipe = ZipPipe()
    with zipfile.ZipFile(pipe, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        archive.writestr("README.md", _readme(project, settings, splits, "Hugging Face"))
        for split, images in splits.items():
            if not images:
                continue  # datasets refuses a split folder without data files
            rows = []
            for image in images:
                folder = folders[image.current_label_id or 0]
                written = yield from zip_image(archive, pipe, f"{split}/{folder}", image)
                if written:  # not a file lost from storage
                    rows.append(_metadata_row(image, f"{folder}/{member_name(image)}", names))
            metadata = "".join(json.dumps(row) + "\n" for row in rows)
            archive.writestr(f"{split}/metadata.jsonl", metadata)
            yield pipe.take()
    yield pipe.take()


def yolo_zip_chunks(project: Project, settings: SplitSettings) -> Iterator[bytes]:
    folders = class_folders(project)
    splits = split_images(project, settings)
    pipe = ZipPipe()
    with zipfile.ZipFile(pipe, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        archive.writestr("README.md", _readme(project, settings, splits, "YOLO classification"))
        for split, images in splits.items():
            split_folder = YOLO_SPLIT_FOLDERS[split]
            for folder in sorted(folders.values()):
                archive.mkdir(f"{split_folder}/{folder}")
            for image in images:
                folder = folders[image.current_label_id or 0]
                yield from zip_image(archive, pipe, f"{split_folder}/{folder}", image)
    yield pipe.take()


def _metadata_row(image: Image, file_name: str, names: dict[int, str]) -> dict[str, object]:
    return {
        "file_name": file_name,
        "label": names.get(image.current_label_id or 0, ""),
        "label_source": _label_source(image),
        "image_id": image.pk,
        "content_hash": image.content_hash,
        "original_name": image.original_name,
    }


def _readme(
    project: Project, settings: SplitSettings, splits: dict[str, list[Image]], layout: str
) -> str:
    counts = ", ".join(f"{name} {len(images)}" for name, images in splits.items())
    sources = []
    for name, images in splits.items():
        given = [_label_source(image) for image in images]
        person, imported = given.count(LabelSource.PERSON), given.count(LabelSource.IMPORT)
        accepted = given.count(LabelSource.PREDICTION)
        sources.append(
            f"- {name}: {person} by a person, {imported} imported, {accepted} accepted predictions"
        )
    where = (
        "metadata.jsonl's label_source says which"
        if layout == "Hugging Face"
        else "the CSV export's label_source column says which"
    )
    return (
        f"# {project.name}: labeled images ({layout} layout)\n\n"
        f"Split stratified by class with seed {settings.seed}: validation "
        f"{settings.validation_fraction:g}, test {settings.test_fraction:g} of each class "
        f'(images ordered by the SHA-256 of "{settings.seed}:<content hash>"). '
        f"Images: {counts}.\n\n"
        "Who gave the labels (an accepted prediction is the model's answer, which no person "
        f"checked; {where}):\n\n" + "\n".join(sources) + "\n"
    )
