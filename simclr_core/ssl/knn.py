"""Weighted cosine k-nearest-neighbour classifier (the kNN monitor of InstDisc / SimCLR)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def find_nearest_neighbors(
    queries: torch.Tensor,
    bank: torch.Tensor,
    k: int,
    exclude_self: bool = False,
    chunk_size: int = 4096,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Cosine k nearest neighbours of each query among the bank, computed in chunks.

    Args:
        queries: (num_queries, dim); bank: (num_bank, dim). Both are l2-normalized here.
        k: neighbours per query (capped at the bank size).
        exclude_self: queries are the bank itself; a point is not its own neighbour.

    Returns:
        (similarities, indices), each (num_queries, k), most similar first.
    """
    queries = F.normalize(queries.float(), dim=1)
    bank = F.normalize(bank.float(), dim=1)
    k = min(k, bank.shape[0] - (1 if exclude_self else 0))
    similarities, indices = [], []
    for start in range(0, queries.shape[0], chunk_size):
        scores = queries[start : start + chunk_size] @ bank.T
        if exclude_self:
            rows = torch.arange(scores.shape[0], device=scores.device)
            scores[rows, rows + start] = float("-inf")
        top = scores.topk(k, dim=1)
        similarities.append(top.values)
        indices.append(top.indices)
    return torch.cat(similarities), torch.cat(indices)


def knn_predict_probabilities(
    bank_features: np.ndarray | torch.Tensor,
    bank_labels: np.ndarray | torch.Tensor,
    query_features: np.ndarray | torch.Tensor,
    num_classes: int,
    k: int = 200,
    temperature: float = 0.1,
) -> np.ndarray:
    """Weighted kNN class probabilities (Wu et al. 2018, used as SimCLR's kNN monitor).

    Each of the k most cosine-similar bank points votes for its class with weight
    exp(similarity / temperature); votes are normalized to sum to 1.

    Shapes: bank_features (num_bank, dim), bank_labels (num_bank,) ints in [0, num_classes),
    query_features (num_queries, dim) -> (num_queries, num_classes) float32.

    Raises:
        ValueError: if the bank is empty or labels are out of range.
    """
    bank = torch.as_tensor(bank_features)
    labels = torch.as_tensor(bank_labels).long()
    if bank.shape[0] == 0 or labels.shape[0] != bank.shape[0]:
        raise ValueError("bank_features and bank_labels must be non-empty and equally long")
    if int(labels.min()) < 0 or int(labels.max()) >= num_classes:
        raise ValueError("bank_labels must lie in [0, num_classes)")
    similarities, indices = find_nearest_neighbors(torch.as_tensor(query_features), bank, k)
    weights = torch.exp(similarities / temperature)
    votes = torch.zeros(similarities.shape[0], num_classes)
    votes.scatter_add_(1, labels[indices], weights)
    probabilities = votes / votes.sum(dim=1, keepdim=True)
    return probabilities.numpy().astype(np.float32)


def knn_accuracy(
    bank_features: np.ndarray | torch.Tensor,
    bank_labels: np.ndarray | torch.Tensor,
    query_features: np.ndarray | torch.Tensor,
    query_labels: np.ndarray | torch.Tensor,
    k: int = 200,
    temperature: float = 0.1,
) -> float:
    """Top-1 accuracy of :func:`knn_predict_probabilities` on labeled queries (0..1)."""
    all_labels = torch.cat([torch.as_tensor(bank_labels), torch.as_tensor(query_labels)])
    num_classes = int(all_labels.max()) + 1
    probabilities = knn_predict_probabilities(
        bank_features, bank_labels, query_features, num_classes, k, temperature
    )
    predictions = probabilities.argmax(axis=1)
    return float((predictions == np.asarray(query_labels)).mean())
