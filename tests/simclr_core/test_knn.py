"""Weighted cosine kNN classifier."""

import numpy as np
import pytest
import torch

from simclr_core.ssl.knn import find_nearest_neighbors, knn_accuracy, knn_predict_probabilities


def test_neighbors_match_brute_force_and_can_exclude_self():
    generator = torch.Generator().manual_seed(0)
    points = torch.randn(30, 4, generator=generator)
    similarities, indices = find_nearest_neighbors(
        points, points, 3, exclude_self=True, chunk_size=7
    )
    normalized = torch.nn.functional.normalize(points, dim=1)
    dense = normalized @ normalized.T
    dense.fill_diagonal_(-2)
    expected = dense.topk(3, dim=1)
    torch.testing.assert_close(similarities, expected.values)
    assert torch.equal(indices, expected.indices)


def test_votes_are_weighted_by_exp_similarity_over_temperature():
    bank = np.array([[1.0, 0.0], [0.0, 1.0]])
    labels = np.array([0, 1])
    query = np.array([[1.0, 1.0]]) @ np.diag([1.0, 0.5])  # closer to class 0
    probabilities = knn_predict_probabilities(bank, labels, query, 2, k=2, temperature=0.5)
    cosines = query @ bank.T / np.linalg.norm(query)
    weights = np.exp(cosines[0] / 0.5)
    np.testing.assert_allclose(probabilities[0], weights / weights.sum(), rtol=1e-5)


def test_separated_clusters_are_classified_perfectly():
    rng = np.random.default_rng(0)
    centers = np.eye(3) * 10
    bank = np.repeat(centers, 20, axis=0) + rng.normal(size=(60, 3))
    queries = np.repeat(centers, 5, axis=0) + rng.normal(size=(15, 3))
    assert (
        knn_accuracy(bank, np.repeat(np.arange(3), 20), queries, np.repeat(np.arange(3), 5), k=10)
        == 1.0
    )


def test_out_of_range_labels_are_rejected():
    with pytest.raises(ValueError):
        knn_predict_probabilities(np.ones((2, 2)), np.array([0, 5]), np.ones((1, 2)), 3)
