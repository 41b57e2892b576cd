"""Few-label classifiers on representations: linear probe and label propagation."""

import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.linalg

from simclr_core.fewlabel.calibration import expected_calibration_error
from simclr_core.fewlabel.label_propagation import (
    build_knn_graph,
    label_propagation_probabilities,
    propagate_labels,
    solve_conjugate_gradient,
)
from simclr_core.fewlabel.linear_probe import fit_linear_probe


def two_moons_like_clusters(seed=0, per_class=60):
    """Three elongated, well separated clusters in 5-d: (features, labels)."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(3, 5)) * 6
    features = np.concatenate([c + rng.normal(size=(per_class, 5)) for c in centers])
    return features.astype(np.float32), np.repeat(np.arange(3), per_class)


def one_label_per_class(labels):
    return np.array([np.flatnonzero(labels == c)[0] for c in np.unique(labels)])


def test_linear_probe_learns_separable_classes_with_calibrated_probabilities():
    features, labels = two_moons_like_clusters()
    chosen = np.arange(0, 180, 9)  # 20 labels
    probe = fit_linear_probe(features[chosen], labels[chosen], 3, unlabeled_features=features)
    probabilities = probe.predict_probabilities(features)
    assert probabilities.shape == (180, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)
    assert (probabilities.argmax(axis=1) == labels).mean() > 0.95
    assert probe.temperature > 0


def test_linear_probe_does_not_drown_a_class_with_few_labels():
    """60 labels of one class and 4 of an overlapping one: weighting classes by the inverse
    of their label counts keeps the rare class's recall (about 0.46 here; 0.31 unweighted)."""
    recalls = []
    for seed in range(5):
        rng = np.random.default_rng(seed)
        centers = np.zeros((2, 8))
        centers[1, 0] = 2.5
        test = np.concatenate([c + rng.normal(size=(500, 8)) for c in centers])
        train = np.concatenate(
            [centers[0] + rng.normal(size=(60, 8)), centers[1] + rng.normal(size=(4, 8))]
        )
        probe = fit_linear_probe(train, np.repeat([0, 1], [60, 4]), 2, test, calibrate=False)
        recalls.append((probe.predict_probabilities(test[500:]).argmax(axis=1) == 1).mean())
    assert np.mean(recalls) > 0.4


def test_linear_probe_gives_zero_probability_to_classes_without_labels():
    features, labels = two_moons_like_clusters()
    chosen = np.flatnonzero(labels < 2)[::10]
    probe = fit_linear_probe(features[chosen], labels[chosen], num_classes=4)
    assert probe.predict_probabilities(features)[:, 2:].max() < 1e-3


def test_linear_probe_with_single_class_answers_that_class():
    features, labels = two_moons_like_clusters()
    probe = fit_linear_probe(features[:3], labels[:3], num_classes=3)
    assert (probe.predict_probabilities(features).argmax(axis=1) == 0).all()


def test_linear_probe_rejects_out_of_range_labels():
    with pytest.raises(ValueError):
        fit_linear_probe(np.ones((2, 3)), np.array([0, 3]), num_classes=3)


def test_knn_graph_is_symmetric_and_normalized():
    features, _ = two_moons_like_clusters()
    graph = build_knn_graph(features, neighbors=5)
    assert graph.shape == (180, 180)
    assert abs(graph - graph.T).max() < 1e-6
    assert graph.diagonal().max() == 0


def test_propagation_from_one_label_per_class_recovers_clusters():
    features, labels = two_moons_like_clusters()
    seeds = one_label_per_class(labels)
    probabilities = propagate_labels(build_knn_graph(features, 5), seeds, labels[seeds], 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)
    assert (probabilities.argmax(axis=1) == labels).mean() > 0.95
    assert (probabilities[seeds].argmax(axis=1) == labels[seeds]).all()


def test_calibrated_propagation_probabilities_have_low_ece():
    features, labels = two_moons_like_clusters(seed=1)
    seeds = np.arange(0, 180, 6)
    probabilities = label_propagation_probabilities(
        build_knn_graph(features, 5), seeds, labels[seeds], 3
    )
    assert expected_calibration_error(probabilities, labels) < 0.15


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_class_with_one_label_does_not_flatten_the_calibrated_predictions(seed):
    # Given three touching clusters (one connected graph) and a class with a single label:
    # in cross-validation that label is held out with no label of its class left, so the
    # propagation gives its class exactly zero mass there
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(3, 5)) * 2
    features = np.concatenate([c + rng.normal(size=(60, 5)) for c in centers]).astype(np.float32)
    labels = np.repeat(np.arange(3), 60)
    seeds = np.concatenate([[0], np.flatnonzero(labels == 1)[:4], np.flatnonzero(labels == 2)[:4]])
    # When the propagation is calibrated on those labels
    probabilities = label_propagation_probabilities(
        build_knn_graph(features, 5), seeds, labels[seeds], 3
    )
    # Then its mostly right predictions stay confident (log-probability scaling gave
    # confidence 0.34-0.45 at 84-97% accuracy here, an ECE of 0.44-0.63)
    assert (probabilities.argmax(axis=1) == labels).mean() > 0.8
    assert expected_calibration_error(probabilities, labels) < 0.3
    assert probabilities.max(axis=1).mean() > 0.55


def test_unreached_nodes_get_uniform_probabilities():
    features = np.array([[1, 0], [1, 0.01], [-1, 0], [-1, -0.01]], dtype=np.float32)
    graph = build_knn_graph(features, neighbors=1)
    probabilities = propagate_labels(graph, np.array([0]), np.array([1]), 2)
    np.testing.assert_allclose(probabilities[2:], 0.5)
    assert probabilities[1].argmax() == 1


def test_block_conjugate_gradient_matches_a_direct_solve():
    features, _ = two_moons_like_clusters()
    system = scipy.sparse.identity(180, format="csr") - 0.9 * build_knn_graph(features, 5)
    right_hand_sides = np.random.default_rng(0).normal(size=(180, 3))
    expected = scipy.sparse.linalg.spsolve(system.tocsc(), right_hand_sides)
    solution = solve_conjugate_gradient(system, right_hand_sides, iterations=200)
    np.testing.assert_allclose(solution, expected, atol=1e-6)
