"""Uploaded files come back only as images: never as HTML or SVG a browser would run."""

import io

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image as PILImage

from labelapp.images.importing import import_staged_batch
from labelapp.images.models import Image
from labelapp.images.uploads import receive_upload
from labelapp.projects.models import Membership, Project, Role
from tests.security.conftest import picture

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
MEDIA_URLS = ("image-file", "image-thumbnail")


def _png_with_script_text() -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<html><script>alert(1)</script></html>")
    buffer = io.BytesIO()
    PILImage.new("RGB", (20, 20), (9, 9, 9)).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


@pytest.fixture
def project(owner: User) -> Project:
    project = Project.objects.create(name="Uploads", created_by=owner)
    Membership.objects.create(project=project, user=owner, role=Role.OWNER)
    return project


def _upload(project: Project, owner: User, files: dict[str, bytes]) -> dict[str, str]:
    batch = receive_upload(project, owner, [SimpleUploadedFile(n, d) for n, d in files.items()])
    import_staged_batch(batch)
    batch.refresh_from_db()
    return {entry["name"]: entry["status"] for entry in batch.report}


@pytest.mark.django_db
def test_svg_and_html_renamed_as_pictures_are_never_stored(project: Project, owner: User) -> None:
    statuses = _upload(
        project, owner, {"a.jpg": SVG, "b.png": HTML, "c.svg": SVG + b" ", "d.html": HTML + b" "}
    )
    assert set(statuses.values()) == {"rejected"}
    assert not Image.objects.filter(project=project).exists()


@pytest.mark.django_db
def test_polyglot_pictures_are_served_as_images_with_nosniff(project: Project, owner: User) -> None:
    # Given real pictures that also carry HTML: appended to a JPEG, in a PNG text chunk
    files = {"tail.jpg": picture((1, 2, 3)) + HTML, "chunk.png": _png_with_script_text()}
    assert set(_upload(project, owner, files).values()) == {"added"}
    client = Client()
    client.force_login(owner)
    for image in Image.objects.filter(project=project):
        urls = [reverse(name, args=[project.pk, image.pk]) for name in MEDIA_URLS]
        urls += [
            reverse(name + "-hashed", args=[project.pk, image.pk, image.content_hash])
            for name in MEDIA_URLS
        ]
        for url in urls:
            # When each picture and thumbnail URL is fetched
            response = client.get(url)
            # Then it is an image type the browser will not sniff into a page
            assert response.status_code == 200, url
            assert response["Content-Type"] in {"image/jpeg", "image/png", "image/webp"}, url
            assert response["X-Content-Type-Options"] == "nosniff"
            assert "sandbox" in response["Content-Security-Policy"]
