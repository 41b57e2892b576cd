"""Turn received files into Image rows: validate, deduplicate, store, and report per file.

The import job (import_job.py) calls ``import_staged_batch``; the
``import_folder`` command calls ``import_sources`` with a folder's files. Each picture is
stored with its files and row together (see storing.py), so a job that dies part-way can
simply be run again: pictures already imported are recognised by their content hash.
"""

import hashlib
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings

from labelapp.images.archives import ArchiveLimits, ArchiveRejected, is_zip, read_members
from labelapp.images.decoding import ImageRejected, decode_image
from labelapp.images.folder_labels import label_from_folders
from labelapp.images.models import Image, UploadBatch
from labelapp.images.remote_sources import batch_sources
from labelapp.images.sources import (
    ObjectReference,
    RefusedFile,
    SourceFile,
    SourceUnavailable,
    delete_staged_files,
)
from labelapp.images.storing import AlreadyStored, store_image
from simclr_core.progress import Progress, ignore_progress

ADDED, DUPLICATE, REJECTED = "added", "duplicate", "rejected"
PROGRESS_INTERVAL_SECONDS = 1.0
PRELOAD_HASH_LIMIT = 200_000  # about 35 MB of hashes held during an import
# The whole report is rewritten each time, so it is saved less often than the counts.
REPORT_INTERVAL_SECONDS = 10.0
COPIED_NOTE = (
    "Copied, not left in the bucket: the picture had to be converted (rotated, made RGB or "
    "re-encoded) before it could be used."
)


@dataclass(frozen=True)
class ImportLimits:
    max_file_bytes: int
    max_archive_bytes: int
    max_pixels: int
    thumbnail_pixels: int
    archive: ArchiveLimits

    @classmethod
    def from_settings(cls) -> "ImportLimits":
        return cls(
            max_file_bytes=settings.IMPORT_MAX_FILE_BYTES,
            max_archive_bytes=settings.IMPORT_MAX_ARCHIVE_BYTES,
            max_pixels=settings.IMPORT_MAX_PIXELS,
            thumbnail_pixels=settings.THUMBNAIL_PIXELS,
            archive=ArchiveLimits(
                max_members=settings.IMPORT_MAX_ARCHIVE_MEMBERS,
                max_uncompressed_bytes=settings.IMPORT_MAX_UNCOMPRESSED_BYTES,
                max_member_bytes=settings.IMPORT_MAX_FILE_BYTES,
                max_compression_ratio=settings.IMPORT_MAX_COMPRESSION_RATIO,
            ),
        )


@dataclass
class ImportReport:
    """Per-file outcomes, in the shape stored in ``UploadBatch.report``."""

    entries: list[dict[str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {ADDED: 0, DUPLICATE: 0, REJECTED: 0})
    labeled: int | None = None  # images labeled by their folder, when that was asked

    def add(self, name: str, status: str, message: str = "") -> None:
        self.entries.append({"name": name, "status": status, "message": message})
        self.counts[status] += 1

    def save_to(self, batch: UploadBatch, with_entries: bool = True) -> None:
        batch.report = self.entries
        batch.added, batch.duplicates = self.counts[ADDED], self.counts[DUPLICATE]
        batch.rejected = self.counts[REJECTED]
        fields = ["added", "duplicates", "rejected"]
        batch.save(update_fields=[*fields, "report"] if with_entries else fields)

    def as_result(self) -> dict[str, Any]:
        """The counts, as a job result: {"added": 3, "duplicate": 1, "rejected": 0}."""
        labeled = {} if self.labeled is None else {"labeled_from_folders": self.labeled}
        return {**self.counts, **labeled}


def import_staged_batch(batch: UploadBatch, progress: Progress = ignore_progress) -> ImportReport:
    """Import everything ``receive_upload`` staged for the batch, then delete the staging.

    The staged files stay when an error (not a refusal) stops the import, so the job can be
    retried; a JobCancelled raised by ``progress`` also leaves them (see the handler).
    """
    report = import_sources(batch, batch_sources(batch), progress)
    if batch.labels_from_folders:
        report.labeled = label_from_folders(batch).applied
    delete_staged_files(batch)
    return report


def import_sources(
    batch: UploadBatch,
    sources: Iterable[SourceFile | RefusedFile],
    progress: Progress = ignore_progress,
    limits: ImportLimits | None = None,
) -> ImportReport:
    """Import every source into ``batch.project``; the report is saved on the batch."""
    run = _ImportRun(batch, limits or ImportLimits.from_settings(), progress)
    items = list(sources)
    run.total_bytes = sum(item.size for item in items if isinstance(item, SourceFile)) or 1
    try:
        for item in items:
            if isinstance(item, RefusedFile):
                run.report.add(item.name, REJECTED, item.message)
            else:
                try:
                    run.import_source(item)
                except SourceUnavailable as refusal:
                    run.report.add(item.name, REJECTED, str(refusal))
                run.advance(item.size, force=True)
    finally:
        run.report.save_to(batch)
    return run.report


class _ImportRun:
    def __init__(self, batch: UploadBatch, limits: ImportLimits, progress: Progress) -> None:
        self.batch, self.limits, self.progress = batch, limits, progress
        self.report = ImportReport()
        self.seen: dict[str, str] = {}  # content hash -> name, within this run
        self.total_bytes, self.done_bytes = 1, 0
        self.reported_at = self.report_saved_at = 0.0
        self.known_hashes = _known_hashes(batch.project_id)

    def import_source(self, source: SourceFile) -> None:
        with source.open() as stream:
            head = stream.read(4)
            stream.seek(0)
            if is_zip(head):
                self.import_archive(source, stream)
                return
            if source.size > self.limits.max_file_bytes:
                self.report.add(source.name, REJECTED, _too_large(source.size, self.limits))
                return
            data = stream.read(self.limits.max_file_bytes + 1)
        if len(data) > self.limits.max_file_bytes:
            self.report.add(source.name, REJECTED, _too_large(len(data), self.limits))
            return
        self.import_picture(source.name, data, reference=source.reference)

    def import_archive(self, source: SourceFile, stream: IO[bytes]) -> None:
        if source.size > self.limits.max_archive_bytes:
            message = (
                f"The zip archive is {source.size / 1024**3:.1f} GB; the limit is "
                f"{self.limits.max_archive_bytes / 1024**3:.1f} GB."
            )
            self.report.add(source.name, REJECTED, message)
            return
        start = self.done_bytes
        try:
            for member in read_members(stream, self.limits.archive):
                name = f"{source.name}/{member.name}"
                if member.data is None:
                    self.report.add(name, REJECTED, member.message)
                elif is_zip(member.data[:4]):
                    message = "Archives inside archives are not unpacked; upload it on its own."
                    self.report.add(name, REJECTED, message)
                else:
                    self.import_picture(name, member.data, original_name=member.name)
                self.advance(member.compressed_size)
        except ArchiveRejected as refusal:
            self.report.add(source.name, REJECTED, str(refusal))
        self.done_bytes = start  # the caller counts the whole archive when it is done

    def import_picture(
        self,
        name: str,
        data: bytes,
        original_name: str | None = None,
        reference: ObjectReference | None = None,
    ) -> None:
        content_hash = hashlib.sha256(data).hexdigest()
        earlier = self.seen.get(content_hash)
        if earlier is not None:
            self.report.add(name, DUPLICATE, f"Same file as {earlier}, earlier in this upload.")
            return
        self.seen[content_hash] = name
        existing = self.find_existing(content_hash)
        if existing is None:
            try:
                decoded = decode_image(data, self.limits.max_pixels, self.limits.thumbnail_pixels)
            except ImageRejected as refusal:
                self.report.add(name, REJECTED, str(refusal))
                return
            # A picture that had to be converted cannot be read back from the bucket as the
            # app keeps it (upright RGB JPEG, PNG or WebP), so it is copied instead.
            converted = reference is not None and decoded.stored_bytes != data
            left_in_bucket = None if converted else reference
            try:
                store_image(
                    self.batch, original_name or name, content_hash, decoded, left_in_bucket
                )
            except AlreadyStored as duplicate:
                existing = duplicate.image
            else:
                self.report.add(name, ADDED, COPIED_NOTE if converted else "")
                return
        if existing.batch_id == self.batch.pk:  # stored by an earlier attempt of this import
            self.report.add(name, ADDED)
        else:
            self.report.add(
                name, DUPLICATE, f"Already in the project as image {existing.pk} "
                f"({existing.original_name})."
            )  # fmt: skip

    def find_existing(self, content_hash: str) -> Image | None:
        if self.known_hashes is not None and content_hash not in self.known_hashes:
            return None  # a concurrent import of the same file is caught by store_image
        return Image.objects.filter(
            project_id=self.batch.project_id, content_hash=content_hash
        ).first()

    def advance(self, size: int, force: bool = False) -> None:
        self.done_bytes += size
        now = time.monotonic()
        if not force and now - self.reported_at < PROGRESS_INTERVAL_SECONDS:
            return
        self.reported_at = now
        counts = self.report.counts
        message = (
            f"{counts[ADDED]} added, {counts[DUPLICATE]} duplicates, {counts[REJECTED]} refused"
        )
        with_entries = now - self.report_saved_at >= REPORT_INTERVAL_SECONDS
        if with_entries:
            self.report_saved_at = now
        self.report.save_to(self.batch, with_entries)
        self.progress(min(self.done_bytes / self.total_bytes, 1.0), message)


def _known_hashes(project_id: int) -> set[str] | None:
    """The project's content hashes, saving a query per file; None for very large projects."""
    images = Image.objects.filter(project_id=project_id)
    if images.count() > PRELOAD_HASH_LIMIT:
        return None
    return set(images.values_list("content_hash", flat=True))


def _too_large(size: int, limits: ImportLimits) -> str:
    return (
        f"The file is {size / 1024**2:.1f} MB; the limit for one image is "
        f"{limits.max_file_bytes / 1024**2:.1f} MB."
    )
