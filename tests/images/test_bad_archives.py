"""Hostile zip archives: refused member by member (or whole), good members kept."""

import io
import stat
import zipfile

from labelapp.images.models import Image
from tests.images.conftest import (
    picture_bytes,
    report_by_name,
    upload_and_import,
    uploaded,
    zip_bytes,
)

GOOD = picture_bytes((10, 200, 10))


def zip_with(extra: zipfile.ZipInfo, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("good.png", GOOD)
        archive.writestr(extra, data)
    return buffer.getvalue()


def import_zip(project, owner, data: bytes) -> dict[str, dict[str, str]]:
    return report_by_name(upload_and_import(project, owner, [uploaded("pets.zip", data)]))


def kept_names(project) -> list[str]:
    return list(Image.objects.filter(project=project).values_list("original_name", flat=True))


def test_member_escaping_with_dot_dot_is_refused(project, owner):
    report = import_zip(project, owner, zip_bytes({"good.png": GOOD, "../../evil.png": GOOD[::-1]}))

    assert "leaves the archive's folder" in report["pets.zip/../../evil.png"]["message"]
    assert kept_names(project) == ["good.png"]


def test_member_with_absolute_path_is_refused(project, owner):
    report = import_zip(project, owner, zip_with(zipfile.ZipInfo("/etc/evil.png"), GOOD[::-1]))

    assert "leaves the archive's folder" in report["pets.zip//etc/evil.png"]["message"]
    assert kept_names(project) == ["good.png"]


def test_symbolic_link_member_is_refused(project, owner):
    link = zipfile.ZipInfo("link.png")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16

    report = import_zip(project, owner, zip_with(link, b"/etc/passwd"))

    assert "Symbolic links" in report["pets.zip/link.png"]["message"]
    assert kept_names(project) == ["good.png"]


def test_highly_compressed_member_is_refused_as_a_zip_bomb(project, owner):
    bomb = zipfile.ZipInfo("bomb.bmp")
    bomb.compress_type = zipfile.ZIP_DEFLATED

    report = import_zip(project, owner, zip_with(bomb, b"\0" * (20 * 1024 * 1024)))

    assert "looks like a zip bomb" in report["pets.zip/bomb.bmp"]["message"]
    assert kept_names(project) == ["good.png"]


def test_archive_unpacking_to_too_much_is_refused_whole(project, owner, settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 2 * len(GOOD)
    members = {f"{index}.png": picture_bytes((index, 0, 0)) for index in range(3)}

    report = import_zip(project, owner, zip_bytes(members))

    assert report["pets.zip"]["status"] == "rejected"
    assert "would unpack to" in report["pets.zip"]["message"]
    assert kept_names(project) == []


def test_archive_with_too_many_members_is_refused_whole(project, owner, settings):
    settings.IMPORT_MAX_ARCHIVE_MEMBERS = 2
    members = {f"{index}.png": picture_bytes((index, 0, 0)) for index in range(3)}

    report = import_zip(project, owner, zip_bytes(members))

    assert report["pets.zip"]["message"] == "The zip archive holds 3 entries; the limit is 2."


def test_member_over_the_size_limit_is_refused(project, owner, settings):
    large = picture_bytes((1, 1, 1), size=(200, 200), image_format="BMP")
    settings.IMPORT_MAX_FILE_BYTES = len(large) - 1

    report = import_zip(project, owner, zip_bytes({"good.png": GOOD, "large.bmp": large}))

    assert "the limit is" in report["pets.zip/large.bmp"]["message"]
    assert kept_names(project) == ["good.png"]


def test_damaged_archive_is_refused_whole(project, owner):
    data = zip_bytes({"good.png": GOOD})

    report = import_zip(project, owner, data[: len(data) // 2])

    assert report["pets.zip"]["message"] == "The zip archive is damaged and cannot be opened."


def test_archive_inside_archive_is_not_unpacked(project, owner):
    inner = zip_bytes({"inner.png": GOOD[::-1]})

    report = import_zip(project, owner, zip_bytes({"good.png": GOOD, "inner.zip": inner}))

    assert "Archives inside archives" in report["pets.zip/inner.zip"]["message"]
    assert kept_names(project) == ["good.png"]


def test_not_an_image_inside_archive_is_refused(project, owner):
    report = import_zip(project, owner, zip_bytes({"good.png": GOOD, "a/readme.png": b"hello"}))

    assert "not an image we can read" in report["pets.zip/a/readme.png"]["message"]
    assert kept_names(project) == ["good.png"]


def test_operating_system_litter_is_skipped_silently(project, owner):
    members = {"good.png": GOOD, "__MACOSX/._good.png": b"junk", ".DS_Store": b"junk"}

    report = import_zip(project, owner, zip_bytes(members))

    assert list(report) == ["pets.zip/good.png"]


def test_archive_member_keeps_its_folder_as_original_name(project, owner):
    import_zip(project, owner, zip_bytes({"cats/tom.png": GOOD}))

    assert kept_names(project) == ["cats/tom.png"]
