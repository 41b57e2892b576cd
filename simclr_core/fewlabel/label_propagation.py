"""Label propagation over the kNN graph of representations (Zhou et al. 2004; Iscen et al. 2019).

Unlabeled images help: labels spread along the cosine kNN graph of l2-normalized h, so the
few labeled images reach the clusters that self-supervised pretraining formed.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse
import torch

from simclr_core.fewlabel.calibration import (
    apply_temperature,
    fit_temperature_by_cross_validation,
)
from simclr_core.ssl.knn import find_nearest_neighbors

NEIGHBORS = 20  # per image in the kNN graph


def build_knn_graph(
    features: np.ndarray, neighbors: int = NEIGHBORS, affinity_power: float = 3.0
) -> scipy.sparse.csr_matrix:
    """Symmetrically normalized kNN affinity S = D^-1/2 W D^-1/2 (Zhou et al.).

    W_ij = max(0, cos(h_i, h_j))^affinity_power for j among the ``neighbors`` nearest
    neighbours of i (self excluded), symmetrized as W + W^T (Iscen et al.).

    Shapes: features (N, dim) -> sparse (N, N).

    Raises:
        ValueError: if there are fewer than two images.
    """
    return graph_from_neighbors(*nearest_neighbors(features, neighbors), affinity_power)


def nearest_neighbors(
    features: np.ndarray, neighbors: int = NEIGHBORS, device: str = "cpu"
) -> tuple[np.ndarray, np.ndarray]:
    """Cosine similarities and indices of each image's ``neighbors`` nearest other images,
    most similar first, on ``device``: the costly part of :func:`build_knn_graph`, N^2 dim
    (100,000 images of 1,280 dimensions: about 3 minutes on 2 CPU cores).

    Shapes: features (N, dim) -> (N, k) float32 and (N, k) int64, k = min(neighbors, N - 1).

    Raises:
        ValueError: if there are fewer than two images.
    """
    if len(features) < 2:
        raise ValueError("a kNN graph needs at least two images")
    # writable: torch warns about (and must not write into) a read-only memory map
    tensor = torch.as_tensor(np.require(features, dtype=np.float32, requirements=["W"]))
    tensor = tensor.to(device)
    similarities, indices = find_nearest_neighbors(tensor, tensor, neighbors, exclude_self=True)
    return similarities.cpu().numpy(), indices.cpu().numpy()


def graph_from_neighbors(
    similarities: np.ndarray, indices: np.ndarray, affinity_power: float = 3.0
) -> scipy.sparse.csr_matrix:
    """:func:`build_knn_graph` from :func:`nearest_neighbors`' output."""
    weights = np.clip(similarities, 0, None).ravel() ** np.float32(affinity_power)
    count, k = indices.shape
    rows = np.repeat(np.arange(count), k)
    affinity = scipy.sparse.csr_matrix((weights, (rows, indices.ravel())), shape=(count, count))
    affinity = affinity + affinity.T
    degree = np.asarray(affinity.sum(axis=1)).ravel()
    inverse_root = 1.0 / np.sqrt(np.maximum(degree, 1e-12))
    scaling = scipy.sparse.diags(inverse_root)
    return scipy.sparse.csr_matrix(scaling @ affinity @ scaling)


def propagate_labels(
    graph: scipy.sparse.csr_matrix,
    labeled_indices: np.ndarray,
    labels: np.ndarray,
    num_classes: int,
    alpha: float = 0.99,
    iterations: int = 20,
) -> np.ndarray:
    """Solve (I - alpha S) F = Y by conjugate gradient (Iscen et al.), a column per class.

    Y holds 1/|L_c| for the labeled images of class c (class-balanced seeds, as Iscen et
    al.). Returns class probabilities (N, num_classes): F clipped at 0 and row-normalized;
    nodes no label reaches get a uniform distribution.

    Raises:
        ValueError: if label indices/values are out of range.
    """
    labeled_indices = np.asarray(labeled_indices)
    labels = np.asarray(labels)
    count = graph.shape[0]
    if len(labeled_indices) != len(labels) or len(labels) == 0:
        raise ValueError("labeled_indices and labels must be non-empty and equally long")
    if labels.min() < 0 or labels.max() >= num_classes or labeled_indices.max() >= count:
        raise ValueError("label or index out of range")
    seeds = np.zeros((count, num_classes))
    for label in np.unique(labels):
        members = labeled_indices[labels == label]
        seeds[members, label] = 1.0 / len(members)
    system = scipy.sparse.identity(count, format="csr") - alpha * graph
    scores = solve_conjugate_gradient(system, seeds, iterations)
    scores = np.clip(scores, 0, None)
    totals = scores.sum(axis=1, keepdims=True)
    uniform = np.full_like(scores, 1.0 / num_classes)
    probabilities: np.ndarray = np.where(totals > 0, scores / np.maximum(totals, 1e-300), uniform)
    return probabilities.astype(np.float32)


def solve_conjugate_gradient(
    system: scipy.sparse.csr_matrix, right_hand_sides: np.ndarray, iterations: int
) -> np.ndarray:
    """Conjugate gradient for a symmetric positive definite ``system``, all columns at once.

    Each column of ``right_hand_sides`` (N, columns) is solved independently (its own step
    sizes); one sparse-dense product per iteration serves every column.
    """
    solution = np.zeros_like(right_hand_sides)
    residual = right_hand_sides.copy()
    direction = residual.copy()
    residual_norm = (residual * residual).sum(axis=0)
    for _ in range(iterations):
        product = system @ direction
        curvature = (direction * product).sum(axis=0)
        step = np.divide(
            residual_norm, curvature, out=np.zeros_like(curvature), where=curvature > 0
        )
        solution += step * direction
        residual -= step * product
        new_norm = (residual * residual).sum(axis=0)
        ratio = np.divide(
            new_norm, residual_norm, out=np.zeros_like(new_norm), where=residual_norm > 0
        )
        direction = residual + ratio * direction
        residual_norm = new_norm
    return solution


def label_propagation_probabilities(
    graph: scipy.sparse.csr_matrix,
    labeled_indices: np.ndarray,
    labels: np.ndarray,
    num_classes: int,
    alpha: float = 0.99,
    calibrate: bool = True,
) -> np.ndarray:
    """Calibrated probabilities (N, num_classes) for every node of the graph.

    The propagated distributions become probabilities through ``softmax(p / max(p) / T)``,
    with the temperature fitted by cross-validation: each fold of the labels is hidden,
    propagated from the rest, and scored. (Not ``log p``: propagation leaves some classes
    at almost exactly zero far from their labels, and one such held-out image made the
    fitted temperature flatten every prediction to near uniform at 20 labels.)
    """
    labeled_indices = np.asarray(labeled_indices)
    labels = np.asarray(labels)
    probabilities = propagate_labels(graph, labeled_indices, labels, num_classes, alpha)
    if not calibrate:
        return probabilities

    def score_held_out(fit: np.ndarray, held: np.ndarray) -> np.ndarray:
        fold = propagate_labels(graph, labeled_indices[fit], labels[fit], num_classes, alpha)
        return _relative_scores(fold[labeled_indices[held]])

    temperature = fit_temperature_by_cross_validation(labels, score_held_out)
    return apply_temperature(_relative_scores(probabilities), temperature)


def _relative_scores(probabilities: np.ndarray) -> np.ndarray:
    """Each row divided by its largest entry: bounded logits in [0, 1], 1 for the top class."""
    rows = np.asarray(probabilities, dtype=np.float64)
    return np.asarray(rows / np.maximum(rows.max(axis=1, keepdims=True), 1e-12))
