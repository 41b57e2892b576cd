"""The exported network (TorchScript and ONNX) against the classifiers it was built from:
the same probabilities as LinearProbe.predict_probabilities and as fine-tuning followed by
the app's calibration step, for uint8 images."""

from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch

from simclr_core.fewlabel.calibration import apply_temperature, probabilities_to_logits
from simclr_core.fewlabel.export import build_exported_classifier, save_onnx, save_torchscript
from simclr_core.fewlabel.fine_tune import FineTuneConfig, fine_tune
from simclr_core.fewlabel.linear_probe import fit_linear_probe
from simclr_core.ssl.encoder import build_encoder
from simclr_core.ssl.extract import extract_representations
from tests.simclr_core.conftest import TINY_ENCODER

TOLERANCE = 1e-5


def run_exports(model: torch.nn.Module, images: torch.Tensor, folder: Path) -> dict:
    save_torchscript(model, folder / "model.pt", image_size=images.shape[-1])
    save_onnx(model, folder / "model.onnx", image_size=images.shape[-1])
    with torch.inference_mode():
        scripted = torch.jit.load(str(folder / "model.pt"))(images).numpy()
    session = onnxruntime.InferenceSession(str(folder / "model.onnx"))
    (from_onnx,) = session.run(["probabilities"], {"images": images.numpy()})
    return {"torchscript": scripted, "onnx": from_onnx}


@pytest.mark.parametrize(
    "labels",
    [[0, 1, 2, 0, 1, 2, 0, 1, 2, 0], [0, 2, 0, 2, 0, 2, 0, 2, 0, 2]],
    ids=["three classes", "binary, one class without labels"],
)
def test_linear_probe_export_gives_the_probe_probabilities(uint8_images, tmp_path, labels):
    encoder = build_encoder(TINY_ENCODER).eval()
    features = extract_representations(encoder, uint8_images)
    probe = fit_linear_probe(features[:10], np.array(labels), 3, unlabeled_features=features)
    expected = probe.predict_probabilities(features)

    exported = run_exports(build_exported_classifier(encoder, probe), uint8_images, tmp_path)

    for name, probabilities in exported.items():
        assert np.abs(probabilities - expected).max() < TOLERANCE, name


def test_fine_tuned_export_gives_the_calibrated_probabilities(uint8_images, tmp_path):
    encoder = build_encoder(TINY_ENCODER)
    labels = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    model = fine_tune(encoder, uint8_images[:8], labels, 3, FineTuneConfig(steps=3, batch_size=8))
    temperature = 0.4
    expected = apply_temperature(
        probabilities_to_logits(model.predict_probabilities(uint8_images)), temperature
    )  # as classifier_selection calibrates fine-tuning

    exported = build_exported_classifier(encoder, model, calibration=temperature)
    results = run_exports(exported, uint8_images, tmp_path)

    for name, probabilities in results.items():
        assert np.abs(probabilities - expected).max() < TOLERANCE, name


def test_any_batch_size_runs_through_the_onnx_export(uint8_images, tmp_path):
    encoder = build_encoder(TINY_ENCODER).eval()
    features = extract_representations(encoder, uint8_images)
    probe = fit_linear_probe(features[:6], np.array([0, 1] * 3), 2)
    save_onnx(build_exported_classifier(encoder, probe), tmp_path / "m.onnx", image_size=8)
    session = onnxruntime.InferenceSession(str(tmp_path / "m.onnx"))

    (one,) = session.run(["probabilities"], {"images": uint8_images[:1].numpy()})
    (many,) = session.run(["probabilities"], {"images": uint8_images.numpy()})

    assert one.shape == (1, 2) and many.shape == (16, 2)
    assert np.abs(one[0] - many[0]).max() < TOLERANCE
