"""The project archive: ``manifest.json``, one JSON-lines file per table, then the files.

``tables/<table>.jsonl`` holds one row per line with the old ids; ``files/...`` holds the
stored files, named by table, row id and field, so no name comes from user input. An
archive is read only through these names: any other member, an absolute path or ``..``
makes the whole archive refused.
"""

import re
import zipfile

FORMAT = "labelapp-project"
VERSION = 1
MANIFEST = "manifest.json"
TABLES = (
    "project",
    "classes",
    "members",
    "batches",
    "images",
    "labels",
    "model_versions",
    "predictions",
    "queue",
    "kept_labels",  # reviewed label-error suspects; absent from older archives
)
FILE_FIELDS = {
    "images": ("file", "thumbnail"),
    "model_versions": ("weights", "representations"),
}
_FILE_MEMBER = re.compile(r"^files/(images|model_versions)/[0-9]{1,18}/[a-z_]{1,20}$")


class ArchiveError(Exception):
    """The archive cannot be imported; the message says why, for a person."""


def table_member(table: str) -> str:
    return f"tables/{table}.jsonl"


def file_member(table: str, row_id: int, field: str) -> str:
    return f"files/{table}/{row_id}/{field}"


def check_member_names(archive: zipfile.ZipFile) -> None:
    allowed = {MANIFEST, *(table_member(table) for table in TABLES)}
    for info in archive.infolist():
        name = info.filename
        if name in allowed or _FILE_MEMBER.match(name):
            continue
        raise ArchiveError(
            f"The archive contains {name[:200]!r}, which is not part of a project export; "
            "it was refused and nothing was imported."
        )
