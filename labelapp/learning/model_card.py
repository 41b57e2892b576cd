"""The model card of an exported classifier, as JSON and as Markdown.

Everything comes from the version's stored config and metrics: what goes in (pixels, size,
normalization), what comes out (one probability per class, in order), what it learned from,
and how good it is on labels it did not see (cross-validated, per class, with calibration).
"""

from typing import Any

from labelapp.learning.models import ModelVersion

PREPROCESSING = (
    "Decode to RGB (EXIF orientation applied, transparency on white), crop the centre "
    "square and resize it to {size} x {size} pixels with bicubic resampling (Pillow's "
    "ImageOps.fit). Feed uint8 pixels (batch, 3, {size}, {size}), channels RGB; the model "
    "divides by 255 and subtracts the mean / divides by the standard deviation itself."
)
STAND_IN_NOTE = (
    "The app's own predictions come from label propagation, which spreads labels over the "
    "graph of every image in the project and so cannot be run on one new image. These files "
    "hold the linear probe fitted to the same labels on the same encoder; its quality below "
    "is its own, cross-validated the same way, and its predictions differ from the app's."
)


def model_card(version: ModelVersion) -> dict[str, Any]:
    """The card of a classifier version whose export succeeded (see model_export)."""
    export = version.config["export"]
    class_names = list(version.config.get("class_names") or [])
    size = int(export["image_size"])
    quality = export.get("quality") or version.metrics
    encoder = version.encoder
    card: dict[str, Any] = {
        "name": f"{version.project.name}: classifier v{version.number}",
        "project": {"id": version.project_id, "name": version.project.name},
        "model_version": version.number,
        "created_at": version.created_at.isoformat(),
        "method": export["method"],
        "stand_in_for": export.get("stand_in_for"),
        "note": STAND_IN_NOTE if export.get("stand_in_for") else None,
        "classes": class_names,
        "encoder": {
            "architecture": export["architecture"],
            "version": encoder.number if encoder else None,
            "source": (encoder.config.get("source") if encoder else None) or "simclr",
        },
        "input": {
            "name": "images",
            "dtype": "uint8",
            "shape": ["batch", 3, size, size],
            "image_size": size,
            "normalization_mean": export["normalization_mean"],
            "normalization_std": export["normalization_std"],
            "preprocessing": PREPROCESSING.format(size=size),
        },
        "output": {
            "name": "probabilities",
            "dtype": "float32",
            "shape": ["batch", len(class_names)],
        },
        "training": _training(version, class_names, quality),
        "evaluation": _evaluation(version, class_names, quality, export),
        "files": {"onnx": "classifier.onnx", "torchscript": "classifier.torchscript.pt"},
    }
    return card


def _training(
    version: ModelVersion, class_names: list[str], quality: dict[str, Any]
) -> dict[str, Any]:
    confusion = quality.get("confusion_matrix") or []
    return {
        "labels": version.metrics.get("labels"),
        "labels_given_by_people": version.metrics.get("scored_labels"),
        "scored_labels_per_class": (
            {name: int(sum(row)) for name, row in zip(class_names, confusion, strict=False)}
            if confusion
            else None
        ),
    }


def _evaluation(
    version: ModelVersion, class_names: list[str], quality: dict[str, Any], export: dict[str, Any]
) -> dict[str, Any]:
    per_class = quality.get("per_class_accuracy") or []
    return {
        "protocol": f"{version.metrics.get('folds') or 'k'}-fold cross-validation on the "
        "labels people gave (each scored by a model that did not see it)",
        "accuracy": quality.get("accuracy"),
        "per_class_accuracy": dict(zip(class_names, per_class, strict=False)),
        "confusion_matrix": quality.get("confusion_matrix"),
        "expected_calibration_error": quality.get("expected_calibration_error"),
        "calibration": "temperature scaling fitted on held-out labels",
        # the held-out labels are the images the queue picked, no sample of the others: this
        # is what to expect on those, from calibrated confidence (None until enough labels
        # calibrate it, and for a stand-in, which was not estimated)
        "expected_accuracy_on_unlabeled_images": quality.get("expected_accuracy"),
        "temperature": export.get("temperature"),
    }


def model_card_markdown(card: dict[str, Any]) -> str:
    """The same card for people."""
    evaluation, training, encoder = card["evaluation"], card["training"], card["encoder"]
    lines = [
        f"# {card['name']}",
        "",
        f"Created {card['created_at']}. Method: `{card['method']}` on the "
        f"{encoder['architecture']} encoder (v{encoder['version'] or '?'}, {encoder['source']}).",
    ]
    if card["note"]:
        lines += ["", f"> {card['note']}"]
    lines += [
        "",
        "## Input and output",
        "",
        card["input"]["preprocessing"],
        "",
        f"- input `images`: uint8, shape {_shape(card['input']['shape'])}",
        f"- normalization mean {_numbers(card['input']['normalization_mean'])}, "
        f"std {_numbers(card['input']['normalization_std'])} (of pixel / 255)",
        f"- output `probabilities`: float32, shape {_shape(card['output']['shape'])}, classes: "
        + ", ".join(f"{index}: {name}" for index, name in enumerate(card["classes"])),
        f"- files: {', '.join(f'`{name}`' for name in card['files'].values())}",
        "",
        "## Training",
        "",
        f"{training['labels']} labels ({training['labels_given_by_people']} given by people).",
        "",
        "## Evaluation",
        "",
        f"{evaluation['protocol']}: accuracy {_percent(evaluation['accuracy'])}, expected "
        f"calibration error {_fraction(evaluation['expected_calibration_error'])} "
        f"({evaluation['calibration']}, T = {_fraction(evaluation['temperature'])}). "
        "Expected accuracy on the images no person labeled (unlabeled ones and accepted "
        "predictions), from calibrated confidence: "
        f"{_percent(evaluation['expected_accuracy_on_unlabeled_images'])}.",
        "",
        "| class | scored labels | accuracy |",
        "|---|---:|---:|",
    ]
    counts = training["scored_labels_per_class"] or {}
    for name in card["classes"]:
        accuracy = evaluation["per_class_accuracy"].get(name)
        lines.append(f"| {_cell(name)} | {counts.get(name, '—')} | {_percent(accuracy)} |")
    lines += [
        "",
        "Where the label-next queue picked them, the labels of a class may be no sample of it "
        "(it asks for a class's labels among the images the model takes for it), so a class's "
        "accuracy here can be far from its accuracy on the images no person labeled, either way.",
    ]
    return "\n".join(lines) + "\n"


def _shape(dimensions: list[object]) -> str:
    return "(" + ", ".join(str(size) for size in dimensions) + ")"


def _numbers(values: list[float]) -> str:
    return "(" + ", ".join(f"{value:.4f}" for value in values) + ")"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _fraction(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
