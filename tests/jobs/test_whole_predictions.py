"""A predict job that fails halfway leaves the previous version's predictions in place."""

import io

import numpy as np
import pytest
from django.contrib.auth.models import User

from labelapp.jobs.models import Job, JobKind
from labelapp.learning import predicting
from labelapp.learning.models import ModelKind, Prediction
from labelapp.learning.versions import create_version
from labelapp.projects.models import Project
from tests.fixtures.cifar import add_classes


def classifier_version(project: Project, image_ids: list[int], classes, seed: int):
    probabilities = np.random.default_rng(seed).dirichlet([1.0] * len(classes), len(image_ids))
    buffer = io.BytesIO()
    np.savez(buffer, image_ids=np.array(image_ids), probabilities=probabilities.astype(np.float32))
    from django.core.files.base import ContentFile

    return create_version(
        project,
        ModelKind.CLASSIFIER,
        job_id=None,
        config={"classes": [c.pk for c in classes]},
        metrics={},
        files={"weights": ("classifier.npz", ContentFile(buffer.getvalue()))},
    )


class Interrupted(Exception):
    pass


def test_failure_halfway_keeps_previous_predictions(db, add_cifar_images, monkeypatch) -> None:
    owner = User.objects.create_user("olivia")
    project = Project.objects.create(name="Planes", created_by=owner, encoder_start="random")
    classes = add_classes(project, ["airplane", "ship"])
    image_ids = [image.pk for image, _ in add_cifar_images(project, per_class=3)]
    job = Job.objects.create(kind=JobKind.PREDICT, project=project)
    first = classifier_version(project, image_ids, classes, seed=0)
    predicting.predict_project(job, lambda *args, **kwargs: None, version=first)
    second = classifier_version(project, image_ids, classes, seed=1)
    monkeypatch.setattr(predicting, "CHUNK", 10)

    def fail_after_first_chunk(fraction, message=None) -> None:
        raise Interrupted()

    with pytest.raises(Interrupted):
        predicting.predict_project(job, fail_after_first_chunk, version=second)

    project.refresh_from_db()
    assert project.current_classifier == first
    assert Prediction.objects.filter(model_version=first).count() == 30
    assert not Prediction.objects.filter(model_version=second).exists()


def test_predictions_carry_uncertainty_scores() -> None:
    scores = predicting.uncertainty_scores(np.array([[0.7, 0.2, 0.1], [0.4, 0.4, 0.2]]))

    np.testing.assert_allclose(scores["confidence"], [0.7, 0.4])
    np.testing.assert_allclose(scores["margin"], [0.5, 0.0])
    expected_entropy = -(0.7 * np.log(0.7) + 0.2 * np.log(0.2) + 0.1 * np.log(0.1))
    assert scores["entropy"][0] == pytest.approx(expected_entropy)
