"""POST /api/projects/{id}/predict: probabilities from the current classifier's ONNX export,
the images not stored, and a clear refusal for each kind of bad request.

The classifier here is a real ONNX network made with the onnx package (mean colour of each
channel, a linear layer, softmax), so the answers can be checked by hand; the worker's real
exports are checked against stored predictions in tests/jobs/test_model_export.py."""

import io

import numpy as np
import onnx
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from onnx import TensorProto, helper
from PIL import Image as PILImage

from labelapp.images.models import Image
from labelapp.learning import predict_service
from labelapp.learning.models import ModelKind, ModelVersion
from tests.web.people import Team

SIZE = 8
# Class scores from the mean red, green and blue of the pixels (0..255): cat likes red,
# dog green, bird blue.
WEIGHTS = np.array([[0.05, -0.02, -0.02], [-0.02, 0.05, -0.02], [-0.02, -0.02, 0.05]], np.float32)


def colour_network() -> bytes:
    graph = helper.make_graph(
        [
            helper.make_node("Cast", ["images"], ["pixels"], to=TensorProto.FLOAT),
            helper.make_node("ReduceMean", ["pixels", "axes"], ["means"], keepdims=0),
            helper.make_node("MatMul", ["means", "weights"], ["scores"]),
            helper.make_node("Softmax", ["scores"], ["probabilities"], axis=1),
        ],
        "colours",
        [helper.make_tensor_value_info("images", TensorProto.UINT8, ["batch", 3, SIZE, SIZE])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 3])],
        [
            helper.make_tensor("axes", TensorProto.INT64, [2], [2, 3]),
            helper.make_tensor("weights", TensorProto.FLOAT, [3, 3], WEIGHTS.T.flatten()),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=10)
    onnx.checker.check_model(model)
    return model.SerializeToString()


def expected_probabilities(colour: tuple[int, int, int]) -> np.ndarray:
    scores = WEIGHTS @ np.array(colour, np.float64)
    return np.exp(scores) / np.exp(scores).sum()


def picture(colour: tuple[int, int, int], name: str = "a.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    PILImage.new("RGB", (40, 30), colour).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def classifier(team: Team, export: dict | None) -> ModelVersion:
    classes = team.classes
    version = ModelVersion.objects.create(
        project=team.project, kind=ModelKind.CLASSIFIER, number=1,
        config={"method": "linear_probe", "classes": [c.pk for c in classes],
                "class_names": [c.name for c in classes], **({"export": export} if export else {})},
    )  # fmt: skip
    team.project.current_classifier = version
    team.project.save()
    return version


@pytest.fixture
def exported(team: Team) -> ModelVersion:
    predict_service._sessions.clear()  # ids repeat across test databases
    name = default_storage.save("models/exports/colours.onnx", ContentFile(colour_network()))
    export = {"method": "linear_probe", "image_size": SIZE, "files": {"onnx": name}}
    yield classifier(team, export)
    default_storage.delete(name)


def predict(client: Client, team: Team, files: list) -> tuple[int, dict]:
    response = client.post(f"/api/projects/{team.project.pk}/predict", {"files": files})
    return response.status_code, response.json()


def test_a_viewer_gets_probabilities_per_image_in_order(client: Client, team, exported) -> None:
    client.force_login(team.viewer)
    images_before = Image.objects.count()

    status, body = predict(client, team, [picture((250, 10, 10), "red.png"),
                                          picture((10, 10, 250), "blue.png")])  # fmt: skip

    assert status == 200, body
    cat, dog, bird = team.classes
    red, blue = body["predictions"]
    assert (red["file"], red["predicted_label"], blue["predicted_label"]) == (
        "red.png",
        "cat",
        "bird",
    )
    for answer, colour in ((red, (250, 10, 10)), (blue, (10, 10, 250))):
        got = [answer["probabilities"][str(c.pk)] for c in (cat, dog, bird)]
        assert np.allclose(got, expected_probabilities(colour), atol=1e-5)
    assert body["model_version"] == exported.pk and body["method"] == "linear_probe"
    assert Image.objects.count() == images_before  # nothing stored


def test_a_file_that_is_not_an_image_is_named_in_the_refusal(client, team, exported) -> None:
    client.force_login(team.viewer)
    text = SimpleUploadedFile("notes.txt", b"just some words")

    status, body = predict(client, team, [picture((1, 2, 3)), text])

    assert status == 422
    assert body["detail"].startswith("notes.txt: ")


def test_too_many_images_are_refused(client, team, exported) -> None:
    client.force_login(team.viewer)

    status, body = predict(client, team, [picture((1, 2, 3), f"{i}.png") for i in range(33)])

    assert status == 422
    assert "At most 32 images" in body["detail"]


def test_a_file_too_large_is_refused(client, team, exported) -> None:
    client.force_login(team.viewer)
    huge = SimpleUploadedFile("huge.png", b"\x89PNG" + b"\0" * predict_service.MAX_IMAGE_BYTES)

    status, body = predict(client, team, [huge])

    assert status == 413
    assert "huge.png: the file is over 20 MB" in body["detail"]


def test_no_file_is_refused(client, team, exported) -> None:
    client.force_login(team.viewer)

    status, body = predict(client, team, [])

    assert status == 422
    assert "files" in body["detail"]


def test_without_a_classifier_the_answer_says_to_train(client, team) -> None:
    client.force_login(team.viewer)

    status, body = predict(client, team, [picture((1, 2, 3))])

    assert status == 409
    assert "no classifier yet" in body["detail"]


def test_a_classifier_trained_before_exports_says_to_retrain(client, team) -> None:
    classifier(team, export=None)
    client.force_login(team.viewer)

    status, body = predict(client, team, [picture((1, 2, 3))])
    download = client.get(f"/api/projects/{team.project.pk}/model/classifier.onnx")

    assert status == download.status_code == 409
    assert "trained before classifiers were exported; retrain it" in body["detail"]


def test_a_stranger_cannot_predict(client, team, exported) -> None:
    client.force_login(team.stranger)

    status, _ = predict(client, team, [picture((1, 2, 3))])

    assert status == 404
