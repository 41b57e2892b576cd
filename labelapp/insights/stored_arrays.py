"""Derived arrays cached as npz files in the project's storage, keyed by what they derive from.

Representations of an encoder version never change, so anything computed from them (a 2-D
projection, near-duplicate pairs) is computed once and read back on later requests. When an
Embed run gives the encoder a new representations file, the arrays derived from the old one
are deleted as the new ones are stored (:func:`derived_arrays`).
"""

import hashlib
import io
import zipfile
from collections.abc import Callable

import numpy as np
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from labelapp.learning.models import ModelVersion

CACHE_FOLDER = "insights"
# what reading a missing, truncated or foreign npz file raises
READ_ERRORS = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile)


def unreadable(version: ModelVersion) -> str:
    return (
        f"The stored representations of encoder v{version.number} cannot be read "
        "(missing or damaged file). Run Embed again to rebuild them."
    )


def stored_derived_arrays(kind: str, version: ModelVersion) -> dict[str, np.ndarray] | None:
    """The arrays of ``kind`` derived from the version's current representations, or None if
    they are not stored (or damaged: then they are deleted, to be computed again)."""
    path = f"{CACHE_FOLDER}/{derived_key(kind, version)}.npz"
    if not default_storage.exists(path):
        return None
    try:
        with default_storage.open(path, "rb") as stored:
            archive = np.load(io.BytesIO(stored.read()))
            return {key: archive[key] for key in archive.files}
    except READ_ERRORS:
        default_storage.delete(path)
        return None


def derived_arrays(
    kind: str, version: ModelVersion, compute: Callable[[], dict[str, np.ndarray]]
) -> dict[str, np.ndarray]:
    """The arrays of ``kind`` derived from the version's current representations, computed and
    stored if absent. Storing them deletes those derived from its older representations, unless
    an Embed run replaced the representations meanwhile (then these are the old ones)."""
    if (stored := stored_derived_arrays(kind, version)) is not None:
        return stored
    arrays = compute()
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    name = f"{derived_key(kind, version)}.npz"
    saved = default_storage.save(f"{CACHE_FOLDER}/{name}", ContentFile(buffer.getvalue()))
    if saved != f"{CACHE_FOLDER}/{name}":  # another request stored it first; keep theirs
        default_storage.delete(saved)
    current = ModelVersion.objects.filter(pk=version.pk).values_list("representations", flat=True)
    if current.first() == version.representations.name:
        _delete_derived(version.pk, [kind], keep=name)
    return arrays


def delete_derived_arrays(version_id: int) -> None:
    """Delete every array derived from any representations of the version (it is gone)."""
    try:
        kinds = default_storage.listdir(CACHE_FOLDER)[0]
    except FileNotFoundError:  # nothing derived yet (object stores list nothing instead)
        return
    _delete_derived(version_id, kinds)


def _delete_derived(version_id: int, kinds: list[str], keep: str = "") -> None:
    prefix = f"encoder-{version_id}-"
    for kind in kinds:
        for name in default_storage.listdir(f"{CACHE_FOLDER}/{kind}")[1]:
            if name.startswith(prefix) and f"{kind}/{name}" != keep:
                default_storage.delete(f"{CACHE_FOLDER}/{kind}/{name}")


def derived_key(kind: str, version: ModelVersion) -> str:
    return f"{kind}/{representations_key(version)}"


def representations_key(version: ModelVersion) -> str:
    """A cache key that changes whenever the version's representations file is replaced
    (an Embed run re-saves it under a new name when images were added)."""
    digest = hashlib.sha256((version.representations.name or "").encode()).hexdigest()[:12]
    return f"encoder-{version.pk}-{digest}-n{embedded_count(version)}"


def embedded_count(version: ModelVersion) -> int:
    """How many images the representations file holds, reading only its id array."""
    with version.representations.open("rb") as stored, np.load(stored) as archive:
        return len(archive["image_ids"])
