"""The train child's last step: write the chosen classifier as TorchScript and ONNX.

Label propagation gives the app's predictions by spreading labels over the graph of every
image in the project, so it is no function of one new image and cannot be exported. When it
wins, the files hold the linear probe fitted to the same labels on the same encoder instead
(the other candidate, whose cross-validated quality is measured here and named on the model
card): a network that people can run anywhere, honestly labelled, rather than none at all.
"""

import traceback
from pathlib import Path
from typing import Any

import numpy as np

from simclr_core.fewlabel.classifier_selection import (
    ClassifierReport,
    summarize_quality,
    train_best_classifier,
)
from simclr_core.fewlabel.export import build_exported_classifier, save_onnx, save_torchscript
from simclr_core.ssl.pretrain import load_pretrained_encoder

TORCHSCRIPT_FILE = "classifier.torchscript.pt"
ONNX_FILE = "classifier.onnx"


def export_classifier(
    spec: dict[str, Any],
    report: ClassifierReport,
    features: np.ndarray,
    labeled_indices: np.ndarray,
    labels: np.ndarray,
    scored: np.ndarray,
) -> dict[str, Any]:
    """Write the files into ``spec["export_dir"]`` and describe them; a failure is described
    (training still succeeds: its predictions do not depend on the export)."""
    try:
        return _export(spec, report, features, labeled_indices, labels, scored)
    except Exception as error:
        traceback.print_exc()
        return {"error": f"{type(error).__name__}: {error}"}


def _export(
    spec: dict[str, Any],
    report: ClassifierReport,
    features: np.ndarray,
    labeled_indices: np.ndarray,
    labels: np.ndarray,
    scored: np.ndarray,
) -> dict[str, Any]:
    num_classes = int(spec["num_classes"])
    description: dict[str, Any] = {"method": report.method}
    if report.model is None:  # label propagation: export the linear probe on the same labels
        report = train_best_classifier(
            features, labeled_indices, labels, num_classes, methods=["linear_probe"],
            scored=scored,
        )  # fmt: skip
        description = {
            "method": "linear_probe",
            "stand_in_for": "label_propagation",
            "quality": summarize_quality(report.out_of_fold[scored], labels[scored], num_classes),
        }
    assert report.model is not None
    encoder = load_pretrained_encoder(Path(spec["encoder_dir"]))
    model = build_exported_classifier(encoder, report.model, report.calibration)
    image_size = int(spec["image_size"])
    directory = Path(spec["export_dir"])
    directory.mkdir(parents=True, exist_ok=True)
    save_torchscript(model, directory / TORCHSCRIPT_FILE, image_size)
    save_onnx(model, directory / ONNX_FILE, image_size)
    config = encoder.config
    return {
        **description,
        "image_size": image_size,
        "normalization_mean": list(config.normalization_mean),
        "normalization_std": list(config.normalization_std),
        "architecture": config.architecture,
        "temperature": _temperature(report),
        "files": {"torchscript": TORCHSCRIPT_FILE, "onnx": ONNX_FILE},
    }


def _temperature(report: ClassifierReport) -> float | None:
    model = report.model
    own = float(getattr(model, "temperature", 1.0))
    return own * report.calibration if report.calibration else own
