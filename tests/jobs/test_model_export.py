"""Models out: the current classifier, downloaded as TorchScript and ONNX and run outside the
app (torch.jit, onnxruntime), gives the probabilities the app stored (real worker)."""

import io
import json

import numpy as np
import onnxruntime
import torch
from django.contrib.auth.models import User
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from PIL import Image as PILImage
from PIL import ImageOps

from labelapp.images.models import Image, Label, LabelSource
from labelapp.jobs import services
from labelapp.jobs.models import JobKind, JobStatus
from labelapp.learning.models import ModelVersion, Prediction
from labelapp.projects.models import Membership, Project, Role
from tests.fixtures.cifar import CIFAR_CLASSES, add_classes
from tests.jobs.helpers import wait_for

DONE = {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED}
TOLERANCE = 1e-4


def make_project(owner: User, encoder_start: str) -> Project:
    project = Project.objects.create(name="Exports", created_by=owner, encoder_start=encoder_start)
    Membership.objects.create(project=project, user=owner, role=Role.OWNER)
    return project


def label_two_per_class(project: Project, images: list[tuple[Image, str]], owner: User) -> None:
    classes = {c.name: c for c in add_classes(project, CIFAR_CLASSES)}
    for image, true_class in images[::3]:  # five images per class: two labeled
        Label.objects.create(
            image=image, label_class=classes[true_class], user=owner, source=LabelSource.PERSON
        )
        Image.objects.filter(pk=image.pk).update(current_label=classes[true_class])


def train_and_predict(project: Project, owner: User, method: str) -> ModelVersion:
    train = wait_for(services.enqueue_job(JobKind.TRAIN, project, owner, method=method), DONE, 600)
    assert train.status == JobStatus.SUCCEEDED, train.error + train.log_tail
    version = ModelVersion.objects.get(pk=train.result["model_version"])
    predict = wait_for(
        services.enqueue_job(JobKind.PREDICT, project, owner, model_version=version.pk), DONE, 300
    )
    assert predict.status == JobStatus.SUCCEEDED, predict.error + predict.log_tail
    return version


def download(client: Client, project: Project, file_name: str) -> bytes:
    response = client.get(reverse("api-1:download_model", args=[project.pk, file_name]))
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content) if response.streaming else response.content


def card_pixels(images: list[Image], size: int) -> np.ndarray:
    """The input the model card asks for, made here with Pillow as its text says."""
    rows = []
    for image in images:
        with default_storage.open(image.file.name) as stored, PILImage.open(stored) as picture:
            square = ImageOps.fit(picture.convert("RGB"), (size, size), PILImage.Resampling.BICUBIC)
        rows.append(np.asarray(square, dtype=np.uint8).transpose(2, 0, 1))
    return np.stack(rows)


def stored_probabilities(version: ModelVersion, images: list[Image]) -> np.ndarray:
    by_image = {
        p.image_id: p.probabilities for p in Prediction.objects.filter(model_version=version)
    }
    classes = [str(c) for c in version.config["classes"]]
    return np.array([[by_image[image.pk][c] for c in classes] for image in images])


def exported_probabilities(client: Client, project: Project, images: list[Image]) -> dict:
    card = json.loads(download(client, project, "model-card.json"))
    pixels = card_pixels(images, card["input"]["image_size"])
    scripted = torch.jit.load(io.BytesIO(download(client, project, "classifier.torchscript.pt")))
    with torch.inference_mode():
        from_torchscript = scripted(torch.from_numpy(pixels)).numpy()
    session = onnxruntime.InferenceSession(download(client, project, "classifier.onnx"))
    (from_onnx,) = session.run(["probabilities"], {"images": pixels})
    return {"torchscript": from_torchscript, "onnx": from_onnx, "card": card}


def test_random_init_exports_reproduce_stored_predictions(start_worker, add_cifar_images) -> None:
    owner = User.objects.create_user("olivia")
    project = make_project(owner, "random")
    images = add_cifar_images(project, per_class=5)
    label_two_per_class(project, images, owner)
    client = Client()
    client.force_login(owner)
    start_worker()
    pretrain = wait_for(services.enqueue_job(JobKind.PRETRAIN, project, owner, epochs=1), DONE, 600)
    assert pretrain.status == JobStatus.SUCCEEDED, pretrain.error + pretrain.log_tail
    pictures = [image for image, _ in images]

    propagation = train_and_predict(project, owner, "label_propagation")
    stand_in = exported_probabilities(client, project, pictures)
    probe = train_and_predict(project, owner, "linear_probe")
    exported = exported_probabilities(client, project, pictures)

    expected = stored_probabilities(probe, pictures)
    assert len(pictures) == 50 and exported["card"]["method"] == "linear_probe"
    for name in ("torchscript", "onnx"):
        assert np.abs(exported[name] - expected).max() < TOLERANCE, name
        # label propagation cannot be exported: its files hold the same labels' linear probe
        assert np.abs(stand_in[name] - expected).max() < TOLERANCE, name
    sent = [default_storage.open(image.file.name) for image in pictures[:3]]
    answer = client.post(f"/api/projects/{project.pk}/predict", {"files": sent})
    assert answer.status_code == 200, answer.content
    served = [[p["probabilities"][str(c)] for c in probe.config["classes"]]
              for p in answer.json()["predictions"]]  # fmt: skip
    assert np.abs(np.array(served) - expected[:3]).max() < TOLERANCE
    assert propagation.config["method"] == "label_propagation"
    assert stand_in["card"]["stand_in_for"] == "label_propagation"
    assert "cannot be run on one new image" in stand_in["card"]["note"]


def test_imagenet_backbone_exports_reproduce_stored_predictions(
    start_worker, add_cifar_images
) -> None:
    owner = User.objects.create_user("olivia")
    project = make_project(owner, "imagenet")
    images = add_cifar_images(project, per_class=5)
    label_two_per_class(project, images, owner)
    client = Client()
    client.force_login(owner)
    start_worker()
    pictures = [image for image, _ in images]

    version = train_and_predict(project, owner, "linear_probe")
    exported = exported_probabilities(client, project, pictures)

    expected = stored_probabilities(version, pictures)
    assert exported["card"]["input"]["image_size"] == 224
    assert exported["card"]["encoder"]["architecture"] == "efficientnet_lite0"
    for name in ("torchscript", "onnx"):
        assert np.abs(exported[name] - expected).max() < TOLERANCE, name
