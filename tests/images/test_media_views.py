"""Pictures are served to members only, with safe headers and year-long caching by hash."""

from django.test import Client
from django.urls import reverse

THUMBNAIL = "image-thumbnail-hashed"


def thumbnail_url(image) -> str:
    return reverse(THUMBNAIL, args=[image.project_id, image.pk, image.content_hash])


def test_viewer_gets_the_thumbnail_cached_for_a_year(client: Client, viewer, three_images):
    client.force_login(viewer)

    response = client.get(thumbnail_url(three_images[0]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, max-age=31536000, immutable"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"


def test_stranger_gets_not_found(client: Client, stranger, three_images):
    client.force_login(stranger)

    assert client.get(thumbnail_url(three_images[0])).status_code == 404


def test_anonymous_visitor_is_sent_to_sign_in(client: Client, three_images):
    response = client.get(thumbnail_url(three_images[0]))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_stale_content_hash_is_not_found(client: Client, viewer, three_images):
    client.force_login(viewer)
    image = three_images[0]

    response = client.get(reverse(THUMBNAIL, args=[image.project_id, image.pk, "0" * 64]))

    assert response.status_code == 404


def test_image_of_another_project_is_not_found(client: Client, viewer, three_images, owner):
    from labelapp.projects.models import Project

    other = Project.objects.create(name="Secret")
    client.force_login(viewer)

    response = client.get(reverse("image-file", args=[other.pk, three_images[0].pk]))

    assert response.status_code == 404


def test_full_picture_has_the_stored_format_as_content_type(client: Client, viewer, three_images):
    client.force_login(viewer)
    red = three_images[0]

    response = client.get(reverse("image-file", args=[red.project_id, red.pk]))

    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, no-cache"
    assert response["ETag"] == f'"{red.content_hash}"'


def test_unchanged_picture_answers_not_modified(client: Client, viewer, three_images):
    client.force_login(viewer)
    red = three_images[0]

    response = client.get(
        reverse("image-file", args=[red.project_id, red.pk]),
        HTTP_IF_NONE_MATCH=f'"{red.content_hash}"',
    )

    assert response.status_code == 304


def test_missing_file_in_storage_is_not_found_not_an_error(client: Client, viewer, three_images):
    from django.core.files.storage import default_storage

    client.force_login(viewer)
    red = three_images[0]
    default_storage.delete(red.file.name)

    response = client.get(reverse("image-file", args=[red.project_id, red.pk]))

    assert response.status_code == 404
