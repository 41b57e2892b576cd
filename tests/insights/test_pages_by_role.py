"""Every insight page opens for each member role and is hidden (404) from everyone else,
both before any model exists and once there is an encoder and a classifier."""

import numpy as np
import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from tests.insights.builders import label_images, make_classifier, make_encoder
from tests.insights.conftest import client_for
from tests.web.people import Team, make_images

PAGES = ["insights-quality", "insights-label-errors", "insights-duplicates", "insights-map",
         "insights-map-points"]  # fmt: skip


def add_models(team: Team) -> None:
    images = make_images(team.project, 12)
    make_encoder(team.project, images, np.random.default_rng(0).normal(size=(12, 8)))
    cat, dog, _ = team.classes
    label_images(images[:3], cat, team.owner)
    label_images(images[3:6], dog, team.owner)
    out_of_fold = np.tile([0.7, 0.2, 0.1], (6, 1))
    make_classifier(team.project, images, images[:6], [0, 0, 0, 1, 1, 1], out_of_fold)


@pytest.mark.parametrize("with_models", [False, True], ids=["empty", "with-models"])
@pytest.mark.parametrize("page", PAGES)
def test_members_see_the_page(team: Team, page: str, with_models: bool) -> None:
    # given a project, empty or with an encoder and a classifier
    if with_models:
        add_models(team)
    url = reverse(page, kwargs={"project_id": team.project.pk})
    for member in (team.viewer, team.labeler, team.owner):
        # when a member opens the page
        response = client_for(member).get(url)
        # then it renders
        assert response.status_code == 200, (member.username, response.status_code)


@pytest.mark.parametrize("page", PAGES)
def test_a_stranger_gets_not_found(team: Team, page: str) -> None:
    response = client_for(team.stranger).get(reverse(page, kwargs={"project_id": team.project.pk}))
    assert response.status_code == 404


def test_the_dashboard_links_to_the_insight_pages(team: Team) -> None:
    response = client_for(team.viewer).get(
        reverse("project-dashboard", kwargs={"project_id": team.project.pk})
    )
    assert reverse("insights-map", kwargs={"project_id": team.project.pk}) in response.text


@pytest.mark.parametrize("page", ["insights-duplicates", "insights-map", "insights-map-points"])
def test_a_damaged_representations_file_is_explained_not_a_500(team: Team, page: str) -> None:
    # given an encoder whose stored representations file is garbage
    add_models(team)
    encoder = team.project.current_encoder
    assert encoder is not None
    with default_storage.open(encoder.representations.name, "wb") as stored:
        stored.write(b"not an npz file")
    # when a member opens the page, then it answers and says what to do
    response = client_for(team.viewer).get(reverse(page, kwargs={"project_id": team.project.pk}))
    assert response.status_code == 200
    if page != "insights-map":  # the map page shows the problem from its points request
        assert "Run Embed again" in response.text
