"""The labeling page's filters and pagination."""

from django.test import Client

from labelapp.images.labeling import accept_predictions, set_label
from tests.web.people import Team, make_classifier, make_images


def shown_ids(client: Client, team: Team, **params: str) -> set[int]:
    response = client.get(f"/projects/{team.project.pk}/images/", params)
    assert response.status_code == 200
    return {tile.image_id for tile in response.context["tiles"]}


def labeled_and_predicted(team: Team):
    cat, dog, bird = team.classes
    images = make_images(team.project, 4)
    make_classifier(
        team.project,
        {
            images[0]: (cat, 0.9),
            images[1]: (dog, 0.4),
            images[2]: (cat, 0.7),
        },
    )
    set_label(images[0], cat, team.owner, 0)  # agrees with the prediction
    set_label(images[2], bird, team.owner, 0)  # disagrees
    return images


def test_filter_unlabeled_and_labeled(client: Client, team: Team) -> None:
    images = labeled_and_predicted(team)
    client.force_login(team.viewer)

    assert shown_ids(client, team, status="unlabeled") == {images[1].pk, images[3].pk}
    assert shown_ids(client, team, status="labeled") == {images[0].pk, images[2].pk}


def test_filter_accepted_predictions(client: Client, team: Team) -> None:
    # given two labels a person gave and the prediction of a third image accepted
    images = labeled_and_predicted(team)
    accept_predictions(team.project, team.owner, 0.3)
    client.force_login(team.viewer)
    # then "accepted" shows only that one, the labels nobody checked
    assert shown_ids(client, team, status="accepted") == {images[1].pk}
    # and a person's correction of it makes it theirs
    images[1].refresh_from_db()
    set_label(images[1], team.classes[2], team.owner, images[1].label_version)
    assert shown_ids(client, team, status="accepted") == set()


def test_filter_by_label_and_by_predicted_class(client: Client, team: Team) -> None:
    images = labeled_and_predicted(team)
    cat, _, bird = team.classes
    client.force_login(team.viewer)

    assert shown_ids(client, team, label=str(bird.pk)) == {images[2].pk}
    assert shown_ids(client, team, predicted=str(cat.pk)) == {images[0].pk, images[2].pk}


def test_images_predicted_as_a_class_come_surest_first(client: Client, team: Team) -> None:
    cat = team.classes[0]
    images = make_images(team.project, 3)
    make_classifier(team.project, {images[0]: (cat, 0.5), images[1]: (cat, 0.9),
                                   images[2]: (cat, 0.7)})  # fmt: skip
    client.force_login(team.viewer)

    response = client.get(f"/projects/{team.project.pk}/images/", {"predicted": str(cat.pk)})

    assert [t.image_id for t in response.context["tiles"]] == [images[i].pk for i in (1, 2, 0)]
    everything = client.get(f"/projects/{team.project.pk}/images/")
    assert [t.image_id for t in everything.context["tiles"]] == [image.pk for image in images]


def test_filter_by_confidence_range(client: Client, team: Team) -> None:
    images = labeled_and_predicted(team)
    client.force_login(team.viewer)

    ids = shown_ids(client, team, min_confidence="0.5", max_confidence="0.8")

    assert ids == {images[2].pk}


def test_filter_prediction_disagrees_with_label(client: Client, team: Team) -> None:
    images = labeled_and_predicted(team)
    client.force_login(team.viewer)

    assert shown_ids(client, team, disagree="1") == {images[2].pk}


def test_a_malformed_filter_is_explained_not_crashed(client: Client, team: Team) -> None:
    client.force_login(team.viewer)

    response = client.get(f"/projects/{team.project.pk}/images/", {"min_confidence": "lots"})

    assert response.status_code == 400
    assert "must be a number between 0 and 1" in response.content.decode()


def test_pages_hold_200_images_and_keep_the_filter(client: Client, team: Team) -> None:
    make_images(team.project, 205)
    client.force_login(team.viewer)

    first = client.get(f"/projects/{team.project.pk}/images/", {"status": "unlabeled"})
    second = client.get(
        f"/projects/{team.project.pk}/images/", {"status": "unlabeled", "page": "2"}
    )

    assert len(first.context["tiles"]) == 200
    assert len(second.context["tiles"]) == 5
    assert "status=unlabeled&amp;page=2" in first.content.decode()


def test_the_page_needs_a_fixed_number_of_queries(
    client: Client, team: Team, django_assert_max_num_queries
) -> None:
    labeled_and_predicted(team)
    make_images(team.project, 300, start=10)
    client.force_login(team.viewer)

    with django_assert_max_num_queries(8):
        client.get(f"/projects/{team.project.pk}/images/")


def test_all_prediction_filters_share_one_join(team: Team) -> None:
    from labelapp.projects.image_filters import ImageFilter, filter_images

    make_classifier(team.project, {})
    every_filter = ImageFilter(
        predicted=team.classes[0].pk, min_confidence=0.1, max_confidence=0.9, disagree=True
    )

    sql = str(filter_images(team.project, every_filter).query)

    assert sql.count("JOIN") == 1
