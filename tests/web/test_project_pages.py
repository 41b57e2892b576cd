"""Project list, creation, dashboard, members and deletion, as each role sees them."""

import numpy as np
from django.core.files.storage import default_storage
from django.test import Client

from labelapp.images.labeling import accept_predictions, set_label
from labelapp.insights.duplicates import PAIRS, store_duplicate_pairs
from labelapp.insights.stored_arrays import CACHE_FOLDER, derived_key
from labelapp.learning.dataset_cache import cache_directory
from labelapp.projects.models import LabelClass, Membership, Project, Role
from tests.insights.builders import make_encoder
from tests.web.people import Team, make_images, make_user


def test_project_list_shows_only_the_users_projects(client: Client, team: Team) -> None:
    # given a project Dave is not in
    client.force_login(team.stranger)
    # when he opens the list
    response = client.get("/")
    # then he sees none of it
    assert response.status_code == 200
    assert "Pets" not in response.content.decode()


def test_creating_a_project_makes_its_classes_and_an_owner(client: Client, db: None) -> None:
    user = make_user("erin")
    client.force_login(user)

    response = client.post(
        "/projects/new/",
        {"name": "Birds", "classes": "robin #e15759 r\nwren\nheron"},
    )

    project = Project.objects.get(name="Birds")
    assert response.status_code == 302
    assert Membership.objects.get(project=project, user=user).role == Role.OWNER
    classes = list(project.classes.values_list("name", "color", "key"))
    assert classes == [
        ("robin", "#e15759", "r"),
        ("wren", "#f28e2b", "1"),
        ("heron", "#e15759", "2"),
    ]


def test_creating_a_project_with_repeated_classes_explains_and_saves_nothing(
    client: Client, db: None
) -> None:
    client.force_login(make_user("erin"))

    response = client.post("/projects/new/", {"name": "Birds", "classes": "robin\nRobin"})

    assert response.status_code == 200
    assert "repeated: robin" in response.content.decode()
    assert not Project.objects.exists()


def test_dashboard_counts_labels_per_class(client: Client, team: Team) -> None:
    images = make_images(team.project, 3)
    cat = team.classes[0]
    images[0].current_label = cat
    images[0].save()
    client.force_login(team.viewer)

    response = client.get(f"/projects/{team.project.pk}/")

    summary = response.context["summary"]
    assert (summary.images, summary.labeled, summary.unlabeled) == (3, 1, 2)
    counts = {row.label_class.name: row.count for row in summary.classes}
    assert counts == {"cat": 1, "dog": 0, "bird": 0}


def test_dashboard_counts_apart_the_labels_a_person_gave(client: Client, team: Team) -> None:
    # given a cat a person labeled and two accepted predictions of cats
    from tests.web.people import make_classifier

    cat = team.classes[0]
    images = make_images(team.project, 3)
    set_label(images[0], cat, team.owner, 0)
    make_classifier(team.project, {images[1]: (cat, 0.99), images[2]: (cat, 0.99)})
    accept_predictions(team.project, team.owner, 0.95)
    client.force_login(team.viewer)

    page = client.get(f"/projects/{team.project.pk}/").content.decode()

    # then cats read 3, one of them by a person; the other classes say nothing more
    assert '>3</a> <span class="muted small by-person"' in page
    assert page.count("by a person)</span>") == 1 and "(1 by a person)" in page


def dashboard_for_metrics(client: Client, team: Team, metrics: dict[str, object]) -> str:
    """The dashboard a viewer sees when the current classifier's job stored ``metrics``."""
    from tests.web.people import make_classifier

    make_classifier(team.project, {})
    version = team.project.current_classifier
    version.metrics = metrics
    version.save()
    client.force_login(team.viewer)
    return client.get(f"/projects/{team.project.pk}/").content.decode()


def test_dashboard_sums_up_the_current_classifier(client: Client, team: Team) -> None:
    from tests.web.people import make_classifier

    make_classifier(team.project, {})
    version = team.project.current_classifier
    version.metrics = {
        "accuracy": 0.875, "folds": 4, "labels": 24, "method": "label_propagation",
        "expected_calibration_error": 0.0412, "confusion_matrix": [[3, 1], [0, 4]],
        "cross_validated_accuracy": {"linear_probe": 0.75, "label_propagation": 0.875,
                                     "self_training": 0.833},
        "expected_accuracy": 0.9312, "expected_accuracy_range": [0.8849, 0.9607],
        "unlabeled_images": 1976, "labels_for_estimate": 20,
        "scored_labels": 24,
    }  # fmt: skip
    version.save()
    client.force_login(team.viewer)

    page = client.get(f"/projects/{team.project.pk}/").content.decode()

    assert "Label propagation (semi-supervised)" in page and "24 labels" in page
    # the project has no image left unlabeled: the figure was about the images back then
    assert "Expected accuracy on the 1,976 images unlabeled when it was trained (0 now)" in page
    assert "93% (likely 88% to 96%)" in page
    assert "Accuracy on those labels (4-fold cross-validation)" in page and "88%" in page
    assert "0.04" in page and "75%" in page  # ECE; the linear probe's score
    assert "[[3, 1]" not in page  # raw lists stay on the quality page
    assert f"/projects/{team.project.pk}/insights/quality/" in page
    # the candidates in the order auto tries them, and the rule it keeps one by
    candidates = page[page.index("Candidates, cross-validated") :]
    assert candidates.index("Self-training") < candidates.index("Linear probe")
    assert candidates.index("Linear probe") < candidates.index("Label propagation")
    assert "Auto keeps the first of these (the benchmarks' best) unless" in candidates


def test_dashboard_says_when_the_expected_accuracy_will_be_known(
    client: Client, team: Team
) -> None:
    page = dashboard_for_metrics(client, team, {
        "accuracy": 0.7, "folds": 5, "labels": 30, "scored_labels": 27, "method": "linear_probe",
        "expected_accuracy": None, "unlabeled_images": 500, "labels_for_estimate": 50,
    })  # fmt: skip

    assert "Expected accuracy on the 500 images unlabeled when it was trained" in page
    assert "known at 50 labels; it had 27 when the model was trained" in page


def test_the_expected_accuracy_of_a_model_trained_on_accepted_predictions_counts_them_in(
    client: Client, team: Team
) -> None:
    page = dashboard_for_metrics(client, team, {
        "accuracy": 0.7, "folds": 5, "labels": 130, "scored_labels": 30, "method": "linear_probe",
        "expected_accuracy": 0.8, "unlabeled_images": 600, "accepted_in_estimate": 100,
        "labels_for_estimate": 20,
    })  # fmt: skip

    assert (
        "Expected accuracy on the 600 images no person labeled when it was trained "
        "(100 of them accepted predictions)"
    ) in page


def test_the_expected_accuracy_says_when_images_got_a_label_since(
    client: Client, team: Team
) -> None:
    # given a model trained when the project's 4 images were unlabeled
    images = make_images(team.project, 4)
    page = dashboard_for_metrics(client, team, {
        "accuracy": 0.7, "folds": 5, "labels": 30, "scored_labels": 30, "method": "linear_probe",
        "expected_accuracy": 0.8, "unlabeled_images": 4, "labels_for_estimate": 20,
    })  # fmt: skip
    assert "Expected accuracy on the 4 unlabeled images" in page
    # when one gets a label (given, or an accepted prediction)
    set_label(images[0], team.classes[0], team.owner, 0)
    page = client.get(f"/projects/{team.project.pk}/").content.decode()
    # then the figure says which images it was about
    assert "Expected accuracy on the 4 images unlabeled when it was trained (3 now)" in page


def test_the_wait_for_the_estimate_counts_only_labels_that_calibrate_it(
    client: Client, team: Team
) -> None:
    # given 60 labels a person gave, 25 of them offered by the queue as the least sure images
    dashboard = dashboard_for_metrics(client, team, {
        "accuracy": 0.7, "folds": 5, "labels": 60, "scored_labels": 60, "method": "linear_probe",
        "calibrating_labels": 35, "expected_accuracy": None, "unlabeled_images": 500,
        "labels_for_estimate": 50, "calibrating_accuracy": 0.8, "least_sure_accuracy": 0.56,
    })  # fmt: skip
    quality = client.get(f"/projects/{team.project.pk}/insights/quality/").content.decode()

    # then both pages say the 15 still missing and why
    for page in (dashboard, quality):
        assert (
            "known at 50 labels that are not least-sure picks; it had 35 when the model was "
            "trained (and 25" in page
        )
    # and the dashboard scores the least-sure picks apart
    row = '<tr><th>{}</th><td class="num">{}</td></tr>'
    assert row.format("Accuracy on the 35 other labels (5-fold cross-validation)", "80%") in (
        dashboard
    )
    assert row.format("Accuracy on the 25 least-sure picks", "56%") in (dashboard)
    assert "Accuracy on those labels" not in dashboard


def test_with_every_image_labeled_there_is_nothing_to_estimate(client: Client, team: Team) -> None:
    page = dashboard_for_metrics(client, team, {
        "accuracy": 0.9, "folds": 5, "labels": 60, "scored_labels": 60, "method": "linear_probe",
        "calibrating_labels": 60, "expected_accuracy": None, "unlabeled_images": 0,
        "labels_for_estimate": 50,
    })  # fmt: skip

    assert "nothing to estimate: every image has a label" in page
    assert "known at" not in page


def test_owner_adds_a_member_by_username(client: Client, team: Team) -> None:
    client.force_login(team.owner)

    response = client.post(
        f"/projects/{team.project.pk}/members/", {"username": "dave", "role": "viewer"}
    )

    assert response.status_code == 302
    assert Membership.objects.get(project=team.project, user=team.stranger).role == "viewer"


def test_adding_an_unknown_user_says_so(client: Client, team: Team) -> None:
    client.force_login(team.owner)

    response = client.post(
        f"/projects/{team.project.pk}/members/", {"username": "nobody", "role": "viewer"}
    )

    assert response.status_code == 400
    assert "There is no user called" in response.content.decode()


def test_the_last_owner_cannot_demote_themselves(client: Client, team: Team) -> None:
    membership = Membership.objects.get(project=team.project, user=team.owner)
    client.force_login(team.owner)

    client.post(f"/projects/{team.project.pk}/members/{membership.pk}/role/", {"role": "viewer"})

    membership.refresh_from_db()
    assert membership.role == Role.OWNER


def test_owner_changes_and_removes_a_member(client: Client, team: Team) -> None:
    membership = Membership.objects.get(project=team.project, user=team.viewer)
    client.force_login(team.owner)

    client.post(f"/projects/{team.project.pk}/members/{membership.pk}/role/", {"role": "labeler"})
    membership.refresh_from_db()
    assert membership.role == Role.LABELER
    client.post(f"/projects/{team.project.pk}/members/{membership.pk}/remove/")
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_deleting_needs_the_typed_name(client: Client, team: Team) -> None:
    client.force_login(team.owner)

    wrong = client.post(f"/projects/{team.project.pk}/delete/", {"confirm_name": "Pest"})
    assert wrong.status_code == 400
    assert Project.objects.filter(pk=team.project.pk).exists()

    right = client.post(f"/projects/{team.project.pk}/delete/", {"confirm_name": "Pets"})
    assert right.status_code == 302
    assert not Project.objects.filter(pk=team.project.pk).exists()
    assert not LabelClass.objects.filter(project_id=team.project.pk).exists()


def test_user_text_is_escaped(client: Client, team: Team) -> None:
    team.project.name = "<script>alert(1)</script>"
    team.project.save()
    client.force_login(team.owner)

    response = client.get(f"/projects/{team.project.pk}/")

    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;" in response.content
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_deleting_a_project_deletes_its_model_files_and_caches(
    client: Client, team: Team, django_capture_on_commit_callbacks
) -> None:
    images = make_images(team.project, 12)
    version = make_encoder(team.project, images, np.eye(12))
    store_duplicate_pairs(version)
    cache = cache_directory(team.project.pk)
    (cache / "images_32.npy").write_bytes(b"decoded")
    files = [version.representations.name, f"{CACHE_FOLDER}/{derived_key(PAIRS, version)}.npz"]
    assert all(default_storage.exists(name) for name in files)
    client.force_login(team.owner)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/projects/{team.project.pk}/delete/", {"confirm_name": "Pets"})

    assert not any(default_storage.exists(name) for name in files)
    assert not cache.exists()
