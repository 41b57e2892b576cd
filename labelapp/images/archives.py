"""Read a zip archive member by member, refusing what could hurt the machine.

The archive is read from a seekable file object (a storage file works): members are
decompressed one at a time and never more than the per-file limit, so memory stays flat
whatever the archive's size. Before the central directory is parsed its entry count is
read from the end record, so an archive that claims millions of entries costs nothing.
"""

import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
# Operating-system litter, skipped without a word.
IGNORED_PARTS = {"__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini"}


class ArchiveRejected(Exception):
    """The whole archive is refused; ``str(error)`` is a message for a person."""


@dataclass(frozen=True)
class ArchiveLimits:
    max_members: int
    max_uncompressed_bytes: int  # all members together, as declared
    max_member_bytes: int
    max_compression_ratio: int


@dataclass(frozen=True)
class ArchiveMember:
    """One member: its bytes when accepted, else ``message`` says why not."""

    name: str
    data: bytes | None
    message: str = ""
    compressed_size: int = 0


def is_zip(head: bytes) -> bool:
    """True when the first bytes of a file look like a zip archive."""
    return head.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC))


def read_members(file: IO[bytes], limits: ArchiveLimits) -> Iterator[ArchiveMember]:
    """Yield every file in the archive, accepted or refused, in archive order.

    Raises ArchiveRejected (before yielding anything) when the archive is unreadable, has
    too many members or would unpack to too many bytes.
    """
    _check_entry_count(file, limits.max_members)
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise ArchiveRejected("The zip archive is damaged and cannot be opened.") from None
    with archive:
        entries = [entry for entry in archive.infolist() if not entry.is_dir()]
        declared = sum(entry.file_size for entry in entries)
        if declared > limits.max_uncompressed_bytes:
            raise ArchiveRejected(
                f"The zip archive would unpack to {_gigabytes(declared)}; "
                f"the limit is {_gigabytes(limits.max_uncompressed_bytes)}."
            )
        for entry in entries:
            if _is_ignored(entry.filename):
                continue
            yield _read_member(archive, entry, limits)


def member_refusal(entry: zipfile.ZipInfo, limits: ArchiveLimits) -> str:
    """Why this member must not be unpacked, or "" when it may be."""
    if _escapes(entry.filename):
        return "The path leaves the archive's folder (absolute or with ..); skipped."
    if stat.S_ISLNK(entry.external_attr >> 16):
        return "Symbolic links in archives are not followed; skipped."
    if entry.flag_bits & 0x1:
        return "The file is encrypted; password-protected archives are not supported."
    if entry.file_size == 0:
        return "The file is empty."
    if entry.file_size > limits.max_member_bytes:
        return (
            f"The file is {_megabytes(entry.file_size)}; "
            f"the limit is {_megabytes(limits.max_member_bytes)}."
        )
    ratio = entry.file_size / max(entry.compress_size, 1)
    if entry.file_size > 1024 * 1024 and ratio > limits.max_compression_ratio:
        return (
            f"The file is compressed {ratio:.0f} to 1, more than the {limits.max_compression_ratio}"
            " to 1 allowed (this looks like a zip bomb)."
        )
    return ""


def _read_member(
    archive: zipfile.ZipFile, entry: zipfile.ZipInfo, limits: ArchiveLimits
) -> ArchiveMember:
    name, size = entry.filename, entry.compress_size
    refusal = member_refusal(entry, limits)
    if refusal:
        return ArchiveMember(name, None, refusal, size)
    try:
        with archive.open(entry) as member:
            data = member.read(limits.max_member_bytes + 1)
    except NotImplementedError:
        return ArchiveMember(name, None, "The file uses a compression method we cannot read.", size)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError):
        return ArchiveMember(name, None, "The file is damaged inside the archive.", size)
    if len(data) > limits.max_member_bytes:  # only when the header lied about the size
        return ArchiveMember(name, None, "The file is larger than its archive entry says.", size)
    return ArchiveMember(name, data, "", size)


def _check_entry_count(file: IO[bytes], max_members: int) -> None:
    end_record = getattr(zipfile, "_EndRecData", None)
    if end_record is None:  # pragma: no cover - a future Python without it
        return
    try:
        record = end_record(file)
    except (OSError, ValueError, EOFError):
        record = None
    finally:
        file.seek(0)
    if record is None:
        raise ArchiveRejected("The zip archive is damaged and cannot be opened.")
    entry_count = int(record[4])  # zipfile._ECD_ENTRIES_TOTAL
    if entry_count > max_members:
        raise ArchiveRejected(
            f"The zip archive holds {entry_count} entries; the limit is {max_members}."
        )


def _escapes(name: str) -> bool:
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return True
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return ".." in parts


def _is_ignored(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return any(part in IGNORED_PARTS for part in parts) or parts[-1].startswith("._")


def _megabytes(size: int) -> str:
    return f"{size / 1024**2:.1f} MB"


def _gigabytes(size: int) -> str:
    return f"{size / 1024**3:.1f} GB"
