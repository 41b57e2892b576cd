"""The embedding map's lasso in a real browser: it asks before it changes a label, says how
many labels it changed, and keeps each image's label version, so labeling again conflicts
with nothing."""

from pathlib import Path

import numpy as np
import pytest
from django.test import Client

from labelapp.images.models import Image, Label, LabelSource
from tests.insights.builders import label_images, make_encoder
from tests.web.people import make_images, make_team

pytestmark = [pytest.mark.browser]


def signed_in(page, live_server, labeler) -> None:
    client = Client()
    client.force_login(labeler)
    cookie = client.cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])


def lasso_everything(page) -> None:
    page.click("#mode-lasso")
    box = page.locator("#map-stage").bounding_box()
    corners = [(4, 4), (box["width"] - 4, 4), (box["width"] - 4, box["height"] - 4),
               (4, box["height"] - 4), (4, 8)]  # fmt: skip
    page.mouse.move(box["x"] + 4, box["y"] + 4)
    page.mouse.down()
    for x, y in corners[1:]:
        page.mouse.move(box["x"] + x, box["y"] + y, steps=8)
    page.mouse.up()


@pytest.mark.django_db(transaction=True)
def test_the_lasso_asks_before_changing_labels_and_counts_them(
    live_server, browser_page, screenshots: Path
) -> None:
    page = browser_page
    team = make_team()
    # given six images on the map: two a person labeled cat, one dog, three unlabeled
    cat, dog, bird = team.classes
    images = make_images(team.project, 6)
    make_encoder(team.project, images, np.random.default_rng(3).normal(size=(6, 4)))
    label_images(images[:2], cat, team.owner)
    label_images(images[2:3], dog, team.owner)
    signed_in(page, live_server, team.labeler)
    answers: list[bool] = []  # what the person answers each question
    asked: list[str] = []

    def answer(dialog) -> None:
        asked.append(dialog.message)
        dialog.accept() if answers.pop(0) else dialog.dismiss()

    page.on("dialog", answer)
    page.goto(f"{live_server.url}/projects/{team.project.pk}/insights/map/")
    page.wait_for_selector("#map-stage[data-points='6']")

    # when the labeler lassos all six and labels them bird, first saying no, then yes
    lasso_everything(page)
    assert page.inner_text("#selection-count") == "6"
    page.select_option("#selection-class", label="bird")
    answers.extend([False, True])
    page.click("#selection-label")
    page.wait_for_selector("#selection-result:has-text('Nothing changed')")
    assert Label.objects.filter(label_class=bird).count() == 0
    page.click("#selection-label")
    page.wait_for_selector("#selection-result:has-text('Labeled')")
    page.screenshot(path=str(screenshots / "map-lasso-labeled.png"), full_page=True)

    # then it asked about the three with another label, changed them and said so
    assert (
        asked == ["3 of the selected images already have another label. Label them bird too?"] * 2
    )
    assert (
        page.inner_text("#selection-result") == "Labeled 6 as bird (3 of them had another label)."
    )
    assert set(Image.objects.values_list("current_label", flat=True)) == {bird.pk}
    assert Label.objects.filter(label_class=bird, source=LabelSource.PERSON).count() == 6
    # and labeling them bird again changes nothing and conflicts with nothing
    page.click("#selection-label")
    page.wait_for_selector("#selection-result:has-text('already were')")
    assert page.inner_text("#selection-result") == "Labeled 0 as bird. 6 already were."
