from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from labelapp.images.models import Image, Label
from tests.web.people import Team, make_images


def csv_file(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("labels.csv", text.encode(), "text/csv")


def test_a_labeler_imports_labels_and_sees_the_problems(client: Client, team: Team) -> None:
    first, second = make_images(team.project, 2)
    client.force_login(team.labeler)
    body = f"image_id,label\n{first.pk},cat\n{second.pk},unicorn\n"

    page = client.post(
        f"/projects/{team.project.pk}/labels/import/", {"file": csv_file(body)}
    ).content.decode()

    assert "<strong>1</strong> labels applied" in page
    assert "<strong>1</strong> row not applied (listed below)" in page
    assert "unicorn" in page
    assert Image.objects.get(pk=first.pk).current_label.name == "cat"
    assert Label.objects.filter(image=first, source="import").count() == 1
    assert Image.objects.get(pk=second.pk).current_label is None


def test_a_file_that_is_not_a_csv_gets_a_message(client: Client, team: Team) -> None:
    client.force_login(team.labeler)

    response = client.post(
        f"/projects/{team.project.pk}/labels/import/",
        {"file": SimpleUploadedFile("x.csv", b"\xff\xfe\x00garbage", "text/csv")},
    )

    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()


def test_viewers_cannot_import_labels(client: Client, team: Team) -> None:
    client.force_login(team.viewer)

    response = client.post(f"/projects/{team.project.pk}/labels/import/", {})

    assert response.status_code == 403
