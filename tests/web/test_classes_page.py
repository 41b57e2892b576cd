"""Owners rename, recolour, re-key and add classes; mistakes are explained."""

from django.test import Client

from labelapp.projects.models import LabelClass
from tests.web.people import Team


def test_owner_renames_a_class_and_changes_its_key(client: Client, team: Team) -> None:
    cat = team.classes[0]
    client.force_login(team.owner)

    client.post(
        f"/projects/{team.project.pk}/classes/{cat.pk}/",
        {"name": "kitten", "color": "#112233", "key": "k"},
    )

    cat.refresh_from_db()
    assert (cat.name, cat.color, cat.key) == ("kitten", "#112233", "k")


def test_a_key_taken_by_another_class_is_refused(client: Client, team: Team) -> None:
    cat, dog = team.classes[0], team.classes[1]
    client.force_login(team.owner)

    response = client.post(
        f"/projects/{team.project.pk}/classes/{cat.pk}/",
        {"name": "cat", "color": "#112233", "key": dog.key},
        follow=True,
    )

    assert "already belongs to another class" in response.content.decode()
    cat.refresh_from_db()
    assert cat.key == "1"


def test_owner_adds_a_class_at_the_end(client: Client, team: Team) -> None:
    client.force_login(team.owner)

    client.post(f"/projects/{team.project.pk}/classes/", {"name": "fish", "color": "#00aa00"})

    assert [c.name for c in LabelClass.objects.filter(project=team.project)][-1] == "fish"


def test_a_bad_colour_changes_nothing(client: Client, team: Team) -> None:
    client.force_login(team.owner)

    response = client.post(
        f"/projects/{team.project.pk}/classes/", {"name": "fish", "color": "red"}, follow=True
    )

    assert "Nothing changed" in response.content.decode()
    assert not LabelClass.objects.filter(name="fish").exists()
