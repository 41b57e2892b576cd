"""Self-training: the unlabeled images decide where a class lies, not the few labels given."""

import numpy as np
import pytest

from simclr_core.fewlabel.classifier_selection import choose_method, train_best_classifier
from simclr_core.fewlabel.label_propagation import build_knn_graph
from simclr_core.fewlabel.linear_probe import fit_linear_probe
from simclr_core.fewlabel.self_training import choose_pseudo_labels, fit_self_trained_probe


def three_noisy_classes(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """600 points in 64-D, 3 classes whose means are 5 noise units apart. With 2 labels per
    class, a probe's weights follow the noise of those 6 points in all 64 dimensions; 80
    pseudo-labeled points per class average it out."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(3), 200)
    means = rng.normal(0, 1, (3, 64))
    means *= 5.0 / np.sqrt(2) / np.linalg.norm(means, axis=1, keepdims=True)
    features = 10.0 + means[labels] + rng.normal(0, 1, (600, 64))  # positive, like pooled ReLU h
    return features.astype(np.float32), labels


def pick(labels: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.concatenate(
        [rng.choice(np.flatnonzero(labels == c), per_class, replace=False) for c in range(3)]
    )


@pytest.mark.parametrize("seed", range(4))
def test_pseudo_labels_beat_the_probe_on_two_labels_per_class(seed: int) -> None:
    features, labels = three_noisy_classes(seed)
    picked = pick(labels, 2, seed)

    probe = fit_linear_probe(features[picked], labels[picked], 3, features, calibrate=False)
    trained = fit_self_trained_probe(features, picked, labels[picked], 3, build_knn_graph(features))

    plain = (probe.predict_probabilities(features).argmax(1) == labels).mean()
    self_trained = (trained.predict_probabilities(features).argmax(1) == labels).mean()
    assert self_trained > plain + 0.05
    assert self_trained > 0.9


def test_every_class_gets_the_same_number_of_its_surest_images() -> None:
    # the first model calls 90 images class 0 and 10 class 1
    probabilities = np.zeros((100, 3))
    probabilities[:90, 0] = np.linspace(0.5, 0.99, 90)
    probabilities[90:, 1] = np.linspace(0.5, 0.99, 10)
    probabilities[:, 2] = 0.0  # a class without labels

    indices, classes = choose_pseudo_labels(probabilities, np.array([0, 99]), share=0.4)

    # 98 unlabeled over the 2 classes with labels: 0.4 * 49 = 20 each where there are enough
    assert np.bincount(classes, minlength=3).tolist() == [20, 9, 0]
    assert 0 not in indices and 99 not in indices
    # the surest ones: the top of class 0's ramp
    assert set(indices[classes == 0]) == set(range(70, 90))


def test_no_unlabeled_images_means_no_pseudo_labels() -> None:
    indices, classes = choose_pseudo_labels(np.eye(3), np.arange(3))

    assert len(indices) == len(classes) == 0


def test_the_app_chooses_self_training_here_and_calibrates_it() -> None:
    features, labels = three_noisy_classes(0)
    picked = pick(labels, 4, 0)

    report = train_best_classifier(features, picked, labels[picked], 3)

    assert set(report.cross_validated_accuracy) == {
        "self_training", "linear_probe", "label_propagation"
    }  # fmt: skip
    assert report.method == "self_training"
    assert (report.probabilities.argmax(1) == labels).mean() > 0.9
    assert np.allclose(report.probabilities.sum(1), 1, atol=1e-5)


def test_a_lead_of_two_images_in_twenty_is_noise_and_keeps_the_first_method() -> None:
    first = np.array([True] * 12 + [False] * 8)
    other = first.copy()
    other[12:14] = True  # two more right

    assert choose_method(["self_training", "linear_probe"], {
        "self_training": first, "linear_probe": other
    }) == "self_training"  # fmt: skip


def test_a_clear_lead_wins() -> None:
    first = np.array([True] * 10 + [False] * 10)
    other = np.array([True] * 15 + [False] * 5)  # five more right, none fewer

    assert choose_method(["self_training", "linear_probe", "label_propagation"], {
        "self_training": first, "linear_probe": first, "label_propagation": other
    }) == "label_propagation"  # fmt: skip
