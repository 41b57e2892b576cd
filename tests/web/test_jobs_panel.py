"""The dashboard's jobs: started by labelers, watched by everyone, in plain words."""

from django.test import Client

from labelapp.jobs.models import Job, JobStatus
from labelapp.learning.models import ModelKind, ModelVersion
from tests.web.people import Team


def test_a_labeler_starts_training_from_the_dashboard(client: Client, team: Team) -> None:
    client.force_login(team.labeler)

    response = client.post(f"/projects/{team.project.pk}/jobs/start/", {"kind": "train"})

    assert response.status_code == 302
    job = Job.objects.get()
    assert (job.kind, job.project, job.created_by) == ("train", team.project, team.labeler)


def test_a_started_job_is_shown_by_its_row_not_by_a_banner_that_goes_stale(
    client: Client, team: Team
) -> None:
    client.force_login(team.labeler)

    response = client.post(f"/projects/{team.project.pk}/jobs/start/", {"kind": "train"})
    job = Job.objects.get()
    job.status = JobStatus.SUCCEEDED  # it finished before the dashboard was shown
    job.save()
    page = client.get(response["Location"]).content.decode()

    assert response["Location"] == f"/projects/{team.project.pk}/#job-{job.pk}"
    assert f'<tr class="job-succeeded" id="job-{job.pk}"' in page
    assert 'class="messages"' not in page


def test_an_unknown_kind_starts_nothing(client: Client, team: Team) -> None:
    client.force_login(team.labeler)

    client.post(f"/projects/{team.project.pk}/jobs/start/", {"kind": "selfcheck"})

    assert not Job.objects.exists()


def test_the_panel_shows_progress_eta_device_and_errors(client: Client, team: Team) -> None:
    Job.objects.create(
        project=team.project,
        kind="pretrain",
        status=JobStatus.RUNNING,
        progress=0.4,
        message="Epoch 4 of 10",
        eta_seconds=93,
        device="cuda:0 (NVIDIA H100)",
    )
    Job.objects.create(
        project=team.project,
        kind="train",
        status=JobStatus.FAILED,
        error="Label at least 2 classes",
    )
    client.force_login(team.labeler)

    page = client.get(f"/projects/{team.project.pk}/jobs/panel/").content.decode()

    assert "Epoch 4 of 10" in page and "about 93 s left" in page
    assert 'value="0.400000"' in page and "NVIDIA H100" in page
    assert "Label at least 2 classes" in page
    assert "Cancel" in page and "Retry" in page


def test_viewers_see_jobs_without_buttons(client: Client, team: Team) -> None:
    Job.objects.create(project=team.project, kind="train", status=JobStatus.FAILED)
    client.force_login(team.viewer)

    page = client.get(f"/projects/{team.project.pk}/jobs/panel/").content.decode()

    assert "Train classifier" in page
    assert "Retry" not in page


def test_jobs_of_other_projects_stay_hidden(client: Client, team: Team) -> None:
    other = Job.objects.create(kind="train", status=JobStatus.FAILED)  # no project
    client.force_login(team.owner)

    response = client.post(f"/projects/{team.project.pk}/jobs/{other.pk}/retry/")

    assert response.status_code == 404


def test_a_retried_job_is_shown_by_its_row(client: Client, team: Team) -> None:
    job = Job.objects.create(project=team.project, kind="train", status=JobStatus.FAILED)
    client.force_login(team.labeler)

    response = client.post(f"/projects/{team.project.pk}/jobs/{job.pk}/retry/")
    page = client.get(response["Location"]).content.decode()

    assert response["Location"] == f"/projects/{team.project.pk}/#job-{job.pk}"
    assert f'<tr class="job-queued" id="job-{job.pk}"' in page
    assert 'class="messages"' not in page


def test_a_cancelled_job_is_shown_by_its_row_stopping_or_cancelled(
    client: Client, team: Team
) -> None:
    running = Job.objects.create(project=team.project, kind="pretrain", status=JobStatus.RUNNING)
    queued = Job.objects.create(project=team.project, kind="train", status=JobStatus.QUEUED)
    client.force_login(team.labeler)

    stopping = client.post(f"/projects/{team.project.pk}/jobs/{running.pk}/cancel/")
    cancelled = client.post(f"/projects/{team.project.pk}/jobs/{queued.pk}/cancel/")
    page = client.get(stopping["Location"]).content.decode()

    assert stopping["Location"] == f"/projects/{team.project.pk}/#job-{running.pk}"
    assert cancelled["Location"] == f"/projects/{team.project.pk}/#job-{queued.pk}"
    running_row = page.split(f'id="job-{running.pk}"')[1].split("</tr>")[0]
    assert "Stopping at its next check" in running_row
    assert f"jobs/{running.pk}/cancel/" not in running_row  # asked once is enough
    assert f'<tr class="job-cancelled" id="job-{queued.pk}"' in page
    assert 'class="messages"' not in page


def test_finished_jobs_link_what_they_made(client: Client, team: Team) -> None:
    Job.objects.create(
        project=team.project,
        kind="retrain",
        status=JobStatus.SUCCEEDED,
        result={"model_version": 7, "model_version_number": 3, "predictions": 500},
    )
    Job.objects.create(
        project=team.project,
        kind="pretrain",
        status=JobStatus.RUNNING,
        metrics={"loss": 5.12, "images_per_second": 231.4},
    )
    client.force_login(team.viewer)

    page = client.get(f"/projects/{team.project.pk}/jobs/panel/").content.decode()

    assert "Made classifier v3" in page and "500 predictions" in page
    assert f"/projects/{team.project.pk}/insights/quality/" in page
    assert "loss 5.12 · 231 images/s" in page


def test_a_finished_pretraining_says_what_it_changed_and_how_fast_it_ran(
    client: Client, team: Team
) -> None:
    outcome = (
        "The new encoder is now in use (cross-validated accuracy on your 50 labels "
        "74% -> 81%). Retrain to use it."
    )
    Job.objects.create(
        project=team.project,
        kind="pretrain",
        status=JobStatus.SUCCEEDED,
        result={
            "model_version": 9,
            "model_version_number": 2,
            "outcome": outcome,
            "images_per_second": 41,
            "device_name": "NVIDIA H200",
        },
    )
    client.force_login(team.viewer)

    page = client.get(f"/projects/{team.project.pk}/jobs/panel/").content.decode()

    assert "Made encoder v2" in page
    assert "on your 50 labels 74% -&gt; 81%). Retrain to use it." in page
    assert "41 images/s on NVIDIA H200" in page


def test_pretraining_takes_an_epoch_budget(client: Client, team: Team) -> None:
    client.force_login(team.labeler)
    url = f"/projects/{team.project.pk}/jobs/start/"

    client.post(url, {"kind": "pretrain", "epochs": "5"})
    client.post(url, {"kind": "pretrain", "epochs": "-3"})

    assert [job.params for job in Job.objects.filter(kind="pretrain")] == [{"epochs": 5}]


def test_training_takes_a_method_and_refuses_unknown_ones(client: Client, team: Team) -> None:
    client.force_login(team.labeler)
    url = f"/projects/{team.project.pk}/jobs/start/"

    client.post(url, {"kind": "train", "method": "label_propagation"})
    client.post(url, {"kind": "retrain", "method": "auto"})
    refused = client.post(url, {"kind": "train", "method": "<script>"}, follow=True)

    assert [job.params for job in Job.objects.order_by("pk")] == [
        {"method": "label_propagation"},
        {},
    ]
    assert "Pick a training method" in refused.content.decode()


def test_of_two_overlapping_pretrainings_the_one_that_finished_last_is_current(
    client: Client, team: Team
) -> None:
    for number in (1, 2):
        version = ModelVersion.objects.create(
            project=team.project, kind=ModelKind.ENCODER, number=number
        )
        Job.objects.create(
            project=team.project, kind="pretrain", status=JobStatus.SUCCEEDED,
            result={"model_version": version.pk, "model_version_number": number},
        )  # fmt: skip
    team.project.current_encoder = version
    team.project.save()
    client.force_login(team.viewer)

    page = client.get(f"/projects/{team.project.pk}/jobs/panel/").content.decode()

    assert "Made encoder v1 (not the current encoder: a later one replaced it)" in page
    assert "Made encoder v2</div>" in page


def test_a_job_that_started_by_itself_says_why_and_a_predict_row_names_its_classifier(
    client: Client, team: Team
) -> None:
    Job.objects.create(project=team.project, kind="retrain", status=JobStatus.QUEUED,
                       params={"reason": "60 new images to predict"})  # fmt: skip
    Job.objects.create(project=team.project, kind="predict", status=JobStatus.SUCCEEDED,
                       result={"model_version_number": 4, "predictions": 844})  # fmt: skip
    client.force_login(team.viewer)

    panel = client.get(f"/projects/{team.project.pk}/jobs/panel/").content.decode()

    assert "started by itself: 60 new images to predict" in panel
    assert "Predicted with classifier v4" in panel and "Made classifier" not in panel
