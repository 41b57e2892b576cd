"""Importing a project archive as a new project: new ids, every reference remapped.

Rows are written in one transaction and files through the default storage; when anything
fails the transaction is rolled back and the files saved so far are deleted, so a failed
import leaves nothing behind.
"""

import io
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction
from django.db.models import Model
from django.utils.dateparse import parse_datetime

from labelapp.backup.archive_format import ArchiveError, file_member
from labelapp.backup.reading import open_archive, read_rows
from labelapp.images.label_sources import PICKED_BY
from labelapp.images.models import Image, Label, LabelSource, UploadBatch
from labelapp.insights.models import KeptLabel
from labelapp.learning.models import ModelKind, ModelVersion, Prediction, QueueItem
from labelapp.projects.models import LabelClass, Membership, Project, Role

BATCH_ROWS = 500
Row = dict[str, Any]
Saved = TypeVar("Saved", bound=Model)


@dataclass
class ImportResult:
    project: Project
    counts: dict[str, int] = field(default_factory=dict)
    missing_users: set[str] = field(default_factory=set)


def import_project(path: Path, owner_username: str | None = None) -> ImportResult:
    owner = _find_owner(owner_username)
    saved_files: list[str] = []
    with open_archive(path) as archive:
        try:
            with transaction.atomic():
                return _Importer(archive, owner, saved_files).run()
        except ArchiveError:
            _delete_files(saved_files)
            raise
        except (KeyError, TypeError, ValueError, ValidationError, DatabaseError) as error:
            _delete_files(saved_files)
            raise ArchiveError(
                f"The archive's data is inconsistent ({type(error).__name__}: "
                f"{str(error)[:200]}); nothing was imported."
            ) from error
        except BaseException:
            _delete_files(saved_files)
            raise


def _find_owner(username: str | None) -> Any:
    if username is None:
        return None
    owner = get_user_model().objects.filter(username=username).first()
    if owner is None:
        raise ArchiveError(f"There is no user named {username!r} on this instance.")
    return owner


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def _time(value: Any) -> datetime:
    parsed = parse_datetime(str(value))
    if parsed is None:
        raise ValueError(f"{value!r} is not a date and time")
    return parsed


def _choice(value: Any, choices: Iterable[str], what: str) -> str:
    if value not in set(choices):
        raise ValueError(f"{value!r} is not a known {what}")
    return str(value)


def _optional(mapping: dict[int, int], value: Any) -> int | None:
    return None if value is None else mapping[value]


class _Importer:
    def __init__(self, archive: zipfile.ZipFile, owner: Any, saved_files: list[str]) -> None:
        self.archive = archive
        self.owner = owner
        self.saved_files = saved_files
        self.users: dict[str, Any] = {}
        self.missing_users: set[str] = set()
        self.classes: dict[int, int] = {}
        self.batches: dict[int, int] = {}
        self.images: dict[int, int] = {}
        self.versions: dict[int, int] = {}
        self.counts: dict[str, int] = {}

    def run(self) -> ImportResult:
        project_rows = list(read_rows(self.archive, "project"))
        if len(project_rows) != 1:
            raise ArchiveError("The archive must hold exactly one project.")
        self.project = self.create_project(project_rows[0])
        self.create_classes()
        self.create_members()
        self.create_batches()
        self.create_images()
        self.create_versions()
        self.create_labels()
        self.create_predictions()
        self.create_queue()
        self.create_in_batches("kept_labels", KeptLabel, self.build_kept_label)
        self.point_project_at_versions(project_rows[0])
        return ImportResult(self.project, self.counts, self.missing_users)

    def user(self, username: Any) -> Any:
        if username is None:
            return None
        name = str(username)
        if name not in self.users:
            self.users[name] = get_user_model().objects.filter(username=name).first()
            if self.users[name] is None:
                self.missing_users.add(name)
        return self.users[name]

    def rows(self, table: str) -> Iterable[Row]:
        count = 0
        for row in read_rows(self.archive, table):
            count += 1
            yield row
        self.counts[table] = count

    def create_project(self, row: Row) -> Project:
        project = Project(
            name=str(row["name"]),
            description=str(row.get("description", "")),
            created_by=self.user(row.get("created_by")) or self.owner,
        )
        project.full_clean(exclude=["created_by", "current_classifier", "current_encoder"])
        project.save()
        Project.objects.filter(pk=project.pk).update(created_at=_time(row["created_at"]))
        return project

    def create_classes(self) -> None:
        for row in self.rows("classes"):
            label_class = LabelClass(
                project=self.project,
                name=str(row["name"]),
                color=str(row["color"]),
                key=str(row.get("key", "")),
                position=int(row["position"]),
            )
            label_class.full_clean()
            label_class.save()
            self.classes[row["id"]] = label_class.pk

    def create_members(self) -> None:
        roles: dict[int, str] = {}
        for row in self.rows("members"):
            user = self.user(row["username"])
            if user is not None:
                roles[user.pk] = _choice(row["role"], Role.values, "role")
        if self.owner is not None:
            roles[self.owner.pk] = Role.OWNER
        if Role.OWNER not in roles.values():
            raise ArchiveError(
                "None of the project's owners has an account here; name one with --owner."
            )
        Membership.objects.bulk_create(
            Membership(project=self.project, user_id=user_id, role=role)
            for user_id, role in roles.items()
        )

    def create_batches(self) -> None:
        for row in self.rows("batches"):
            if not isinstance(row["report"], list):
                raise ValueError("an upload report is not a list")
            batch = UploadBatch.objects.create(
                project=self.project,
                created_by=self.user(row.get("created_by")),
                report=row["report"],
                added=int(row["added"]),
                duplicates=int(row["duplicates"]),
                rejected=int(row["rejected"]),
            )
            UploadBatch.objects.filter(pk=batch.pk).update(created_at=_time(row["created_at"]))
            self.batches[row["id"]] = batch.pk

    def save_file(self, row_file: Any, table: str, row_id: int, field_name: str, name: str) -> None:
        member = file_member(table, row_id, field_name)
        try:
            info = self.archive.getinfo(member)
        except KeyError as error:
            raise ArchiveError(f"The archive lacks the file {member}.") from error
        with self.archive.open(info) as stream:
            content = File(stream, name=name)
            content.size = info.file_size
            row_file.save(Path(name).name or field_name, content, save=False)
        self.saved_files.append(row_file.name)

    def create_images(self) -> None:
        pending: list[tuple[int, Image]] = []
        for row in self.rows("images"):
            image = Image(
                project=self.project,
                batch_id=_optional(self.batches, row.get("batch")),
                content_hash=str(row["content_hash"]),
                width=int(row["width"]),
                height=int(row["height"]),
                format=str(row["format"]),
                original_name=str(row["original_name"]),
                current_label_id=_optional(self.classes, row.get("current_label")),
                label_version=int(row["label_version"]),
                created_at=_time(row["created_at"]),
            )
            for field_name in ("file", "thumbnail"):
                if row[field_name]:
                    name = str(row.get(f"{field_name}_name") or f"{field_name}.jpg")
                    self.save_file(
                        getattr(image, field_name), "images", row["id"], field_name, name
                    )
            pending.append((row["id"], image))
            if len(pending) >= BATCH_ROWS:
                self.flush_images(pending)
        self.flush_images(pending)

    def flush_images(self, pending: list[tuple[int, Image]]) -> None:
        created = _bulk_create_keeping_times(Image, [image for _, image in pending])
        for (old_id, _), image in zip(pending, created, strict=True):
            self.images[old_id] = image.pk
        pending.clear()

    def create_versions(self) -> None:
        encoders: dict[int, int] = {}
        for row in self.rows("model_versions"):
            version = self.build_version(row)
            version.save()
            ModelVersion.objects.filter(pk=version.pk).update(created_at=_time(row["created_at"]))
            self.versions[row["id"]] = version.pk
            if row.get("encoder") is not None:
                encoders[version.pk] = row["encoder"]
        for version_id, old_encoder in encoders.items():
            ModelVersion.objects.filter(pk=version_id).update(encoder_id=self.versions[old_encoder])

    def build_version(self, row: Row) -> ModelVersion:
        config = row["config"]
        if not isinstance(config, dict) or not isinstance(row["metrics"], dict):
            raise ValueError("a model version's config or metrics is not an object")
        if "classes" in config:
            config = {**config, "classes": [self.classes[c] for c in config["classes"]]}
        version = ModelVersion(
            project=self.project,
            kind=_choice(row["kind"], ModelKind.values, "model kind"),
            number=int(row["number"]),
            config=config,
            metrics=row["metrics"],
        )
        if row["weights"]:
            name = str(row.get("weights_name") or "weights.pt")
            self.save_file(version.weights, "model_versions", row["id"], "weights", name)
        if row["representations"]:
            self.save_representations(version, row["id"])
        return version

    def save_representations(self, version: ModelVersion, old_id: int) -> None:
        """The stored image ids are the old ones: rewrite them with the new ids."""
        member = file_member("model_versions", old_id, "representations")
        try:
            with self.archive.open(member) as stream:
                stored = np.load(io.BytesIO(stream.read()), allow_pickle=False)
                image_ids, representations = stored["image_ids"], stored["representations"]
        except (KeyError, ValueError, OSError, zipfile.BadZipFile) as error:
            raise ArchiveError(f"The archive lacks or garbles the file {member}.") from error
        new_ids = np.array([self.images[int(i)] for i in image_ids], dtype=np.int64)
        buffer = io.BytesIO()
        np.savez(buffer, image_ids=new_ids, representations=representations)
        version.representations.save(
            "representations.npz", ContentFile(buffer.getvalue()), save=False
        )
        self.saved_files.append(str(version.representations.name))

    def create_labels(self) -> None:
        self.create_in_batches("labels", Label, self.build_label)

    def build_label(self, row: Row) -> Label:
        return Label(
            image_id=self.images[row["image"]],
            label_class_id=_optional(self.classes, row.get("label_class")),
            user=self.user(row.get("user")),
            created_at=_time(row["created_at"]),
            source=_choice(row["source"], LabelSource.values, "label source"),
            model_version_id=_optional(self.versions, row.get("model_version")),
            picked_by=_choice(row.get("picked_by") or "", PICKED_BY, "label picked_by"),
        )

    def create_predictions(self) -> None:
        self.create_in_batches("predictions", Prediction, self.build_prediction)

    def build_prediction(self, row: Row) -> Prediction:
        probabilities = row["probabilities"]
        if not isinstance(probabilities, dict):
            raise ValueError("prediction probabilities are not an object")
        return Prediction(
            image_id=self.images[row["image"]],
            model_version_id=self.versions[row["model_version"]],
            probabilities={
                str(self.classes[int(key)]): float(value) for key, value in probabilities.items()
            },
            predicted_class_id=self.classes[row["predicted_class"]],
            confidence=float(row["confidence"]),
            margin=float(row["margin"]),
            entropy=float(row["entropy"]),
        )

    def create_queue(self) -> None:
        self.create_in_batches("queue", QueueItem, self.build_queue_item)

    def build_queue_item(self, row: Row) -> QueueItem:
        return QueueItem(
            project=self.project,
            image_id=self.images[row["image"]],
            rank=int(row["rank"]),
            strategy=str(row["strategy"]),
            score=float(row["score"]),
            reason=str(row["reason"]),
            created_at=_time(row["created_at"]),
        )

    def build_kept_label(self, row: Row) -> KeptLabel:
        return KeptLabel(
            image_id=self.images[row["image"]],
            label_version=int(row["label_version"]),
            user=self.user(row.get("user")),
            created_at=_time(row["created_at"]),
        )

    def create_in_batches(
        self, table: str, model: type[Saved], build: Callable[[Row], Saved]
    ) -> None:
        pending: list[Saved] = []
        for row in self.rows(table):
            pending.append(build(row))
            if len(pending) >= BATCH_ROWS:
                _bulk_create_keeping_times(model, pending)
                pending = []
        _bulk_create_keeping_times(model, pending)

    def point_project_at_versions(self, row: Row) -> None:
        Project.objects.filter(pk=self.project.pk).update(
            current_classifier_id=_optional(self.versions, row.get("current_classifier")),
            current_encoder_id=_optional(self.versions, row.get("current_encoder")),
        )
        self.project.refresh_from_db()


def _bulk_create_keeping_times(model: type[Saved], rows: list[Saved]) -> list[Saved]:
    """bulk_create stamps ``created_at`` with now; put back the archive's times."""
    if not rows:
        return []
    has_time = any(f.name == "created_at" for f in model._meta.get_fields())
    times = [getattr(row, "created_at", None) for row in rows] if has_time else []
    manager = model._default_manager
    created: list[Saved] = manager.bulk_create(rows)
    if has_time:
        for row, moment in zip(created, times, strict=True):
            setattr(row, "created_at", moment)  # noqa: B010 (the type has no such field)
        manager.bulk_update(created, ["created_at"])
    return created
