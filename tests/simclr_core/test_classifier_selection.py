from typing import Any

import numpy as np
import pytest
import torch

from simclr_core.fewlabel import classifier_selection
from simclr_core.fewlabel.classifier_selection import (
    FineTuneInputs,
    summarize_quality,
    train_best_classifier,
)
from simclr_core.fewlabel.fine_tune import FineTuneConfig
from simclr_core.ssl.encoder import build_encoder

from .conftest import TINY_ENCODER


def two_moons_on_a_line(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two elongated clusters: propagation along the chain beats a linear fit on 4 labels."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 1, 200)
    first = np.stack([t * 10, np.sin(t * 3)], 1)
    second = np.stack([t * 10, np.sin(t * 3) + 1.5], 1)
    features = np.concatenate([first, second]).astype(np.float32)
    truth = np.repeat([0, 1], 200)
    return features + rng.normal(0, 0.05, features.shape).astype(np.float32), truth


def test_picks_a_method_and_predicts_every_image() -> None:
    features, truth = two_moons_on_a_line()
    labeled = np.array([0, 1, 2, 3, 200, 201, 202, 203])

    report = train_best_classifier(features, labeled, truth[labeled], num_classes=2)

    assert report.method in report.cross_validated_accuracy
    assert report.probabilities.shape == (400, 2)
    np.testing.assert_allclose(report.probabilities.sum(1), 1.0, atol=1e-4)
    assert report.out_of_fold.shape == (8, 2)
    assert (report.probabilities.argmax(1) == truth).mean() > 0.9


def test_best_method_has_the_highest_cross_validated_accuracy() -> None:
    features, truth = two_moons_on_a_line(seed=1)
    labeled = np.arange(0, 400, 20)

    report = train_best_classifier(features, labeled, truth[labeled], num_classes=2)

    assert report.cross_validated_accuracy[report.method] == max(
        report.cross_validated_accuracy.values()
    )


def test_one_label_is_refused() -> None:
    features, _ = two_moons_on_a_line()

    with pytest.raises(ValueError, match="at least two"):
        train_best_classifier(features, np.array([0]), np.array([0]), num_classes=2)


def test_quality_summary_counts_confusions() -> None:
    out_of_fold = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    labels = np.array([0, 1, 1])

    quality = summarize_quality(out_of_fold, labels, num_classes=2)

    assert quality["confusion_matrix"] == [[1, 0], [1, 1]]
    assert quality["per_class_accuracy"] == [1.0, 0.5]
    assert quality["accuracy"] == pytest.approx(2 / 3)


def color_images(count: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """Reddish vs bluish 8x8 uint8 images (count, 3, 8, 8) and their labels."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 100, (count, 3, 8, 8), dtype=np.uint8)
    truth = np.arange(count) % 2
    images[truth == 0, 0] += 150
    images[truth == 1, 2] += 150
    return images, truth


def test_fine_tuning_is_a_candidate_with_calibrated_probabilities_for_every_image() -> None:
    images, truth = color_images()
    torch.manual_seed(0)
    encoder = build_encoder(TINY_ENCODER)
    features = np.zeros((len(images), 2), np.float32)  # uninformative h: only fine-tuning works
    rows = np.arange(len(images))[::-1].copy()  # features[i] is the image at rows[i]
    labeled = np.arange(12)
    inputs = FineTuneInputs(
        encoder=encoder,
        images=images,
        rows=rows,
        config=FineTuneConfig(steps=30, batch_size=8, learning_rate=0.1, warmup_steps=2),
    )
    seen: list[str] = []

    report = train_best_classifier(
        features, labeled, truth[rows][labeled], num_classes=2,
        methods=["linear_probe", "fine_tune"], fine_tune_inputs=inputs,
        progress=lambda fraction, message=None, **_: seen.append(message),
    )  # fmt: skip

    assert [message for message in seen if ":" not in message] == [
        "Cross-validating linear probe", "Cross-validating fine tune",
    ]  # fmt: skip
    assert report.method == "fine_tune"
    assert (
        report.cross_validated_accuracy["fine_tune"]
        > report.cross_validated_accuracy["linear_probe"]
    )
    assert report.probabilities.shape == (len(images), 2)
    np.testing.assert_allclose(report.probabilities.sum(1), 1.0, atol=1e-4)
    assert (report.probabilities.argmax(1) == truth[rows]).mean() > 0.9
    assert report.out_of_fold.shape == (12, 2)


def test_fine_tuning_without_images_is_refused() -> None:
    features, truth = two_moons_on_a_line()
    labeled = np.array([0, 1, 200, 201])

    with pytest.raises(ValueError, match="fine-tuning needs"):
        train_best_classifier(features, labeled, truth[labeled], 2, methods=["fine_tune"])


def test_a_rare_class_does_not_shrink_the_folds() -> None:
    # given 30 labels, one class with only 2 of them
    features, truth = two_moons_on_a_line(seed=2)
    labeled = np.concatenate([np.arange(0, 200, 7), [200, 300]])
    # when the methods are cross-validated
    report = train_best_classifier(features, labeled, truth[labeled], num_classes=2)
    # then there are 5 folds (each trains on 4/5 of the labels), not 2 (each on half)
    assert report.folds == 5
    assert report.out_of_fold.shape == (len(labeled), 2)


def test_the_time_left_counts_the_candidates_still_to_come(monkeypatch: Any) -> None:
    clock = iter([0.0, 8.0, 16.0, 20.0])
    monkeypatch.setattr(classifier_selection.time, "monotonic", lambda: next(clock))
    reports: list[float | None] = []
    count = classifier_selection._method_progress(
        ["a", "b", "c"], lambda fraction, message, eta_seconds=None: reports.append(eta_seconds)
    )

    count("a", 0, 4)  # at 0 s
    count("a", 2, 4)  # at 8 s: 8 s left in a, then b and c at a's projected 16 s each
    count("b", 0, 4)  # at 16 s: a took 16 s
    count("b", 2, 4)  # at 20 s: 4 s left in b, then c at the mean of 16 and 8

    assert reports == [None, 40.0, None, 16.0]
