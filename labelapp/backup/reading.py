"""Opening a project archive and checking it before anything is written."""

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.conf import settings

from labelapp.backup.archive_format import (
    FORMAT,
    MANIFEST,
    VERSION,
    ArchiveError,
    check_member_names,
    table_member,
)

MAX_LINE_BYTES = 16 * 1024 * 1024
MAX_MANIFEST_BYTES = 1024 * 1024


def open_archive(path: Path) -> zipfile.ZipFile:
    """The opened archive, with its names, size and manifest checked."""
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError as error:
        raise ArchiveError(f"There is no file {str(path)!r}.") from error
    except (zipfile.BadZipFile, OSError) as error:
        raise ArchiveError(f"{path.name!r} is not a zip archive made by export_project.") from error
    try:
        check_member_names(archive)
        _check_size(archive)
        _check_manifest(archive)
    except BaseException:
        archive.close()
        raise
    return archive


def _check_size(archive: zipfile.ZipFile) -> None:
    total = sum(info.file_size for info in archive.infolist())
    if total > settings.IMPORT_MAX_UNCOMPRESSED_BYTES:
        raise ArchiveError(
            f"The archive would unpack to {total} bytes, more than the limit of "
            f"{settings.IMPORT_MAX_UNCOMPRESSED_BYTES} (IMPORT_MAX_UNCOMPRESSED_BYTES)."
        )


def _check_manifest(archive: zipfile.ZipFile) -> None:
    try:
        if archive.getinfo(MANIFEST).file_size > MAX_MANIFEST_BYTES:
            raise ArchiveError("The archive's manifest.json is too large to be an export's.")
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError as error:
        raise ArchiveError(
            "The archive has no manifest.json: it is not a project export."
        ) from error
    except (ValueError, zipfile.BadZipFile, OSError) as error:
        raise ArchiveError("The archive's manifest.json cannot be read.") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveError("The archive's manifest.json does not describe a project export.")
    if manifest.get("version") != VERSION:
        raise ArchiveError(
            f"The archive is format version {manifest.get('version')!r}; this labelapp "
            f"reads version {VERSION} only."
        )


def read_rows(archive: zipfile.ZipFile, table: str) -> Iterator[dict[str, Any]]:
    """The table's rows one at a time; a missing table has none."""
    try:
        member: IO[bytes] = archive.open(table_member(table))
    except KeyError:
        return
    with member, io.TextIOWrapper(member, encoding="utf-8") as lines:
        for number, line in enumerate(iter(lambda: lines.readline(MAX_LINE_BYTES), ""), 1):
            try:
                row = json.loads(line)
            except ValueError as error:
                raise ArchiveError(f"Line {number} of the {table} table is not JSON.") from error
            if not isinstance(row, dict):
                raise ArchiveError(f"Line {number} of the {table} table is not an object.")
            yield row
