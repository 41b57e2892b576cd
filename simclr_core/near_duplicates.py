"""Near-duplicate finder: pairs and groups of images whose representations nearly coincide.

Cosine similarity of L2-normalised SimCLR representations ``h`` ``(images, dim)``, computed as
blocked matrix products of ``block_size`` rows against the rows after them, so 100,000 images
never build a 100,000 x 100,000 matrix: memory is ``block_size x images`` floats at a time.
Groups are the connected components of the "similar enough" graph.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse
import torch
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components

DEFAULT_THRESHOLD = 0.95


@dataclass(frozen=True)
class NearDuplicatePair:
    """Two images (``first < second``) whose representations have cosine ``similarity``."""

    first: int
    second: int
    similarity: float


def find_near_duplicate_pairs(
    representations: NDArray[np.floating] | torch.Tensor,
    threshold: float = DEFAULT_THRESHOLD,
    block_size: int = 2048,
    max_pairs: int = 1_000_000,
) -> list[NearDuplicatePair]:
    """Every pair with cosine similarity ``>= threshold``, most similar first.

    Args:
        representations: ``(images, dim)``; rows are L2-normalised here.
        threshold: cosine similarity in ``(-1, 1]`` at or above which two images pair up.
        block_size: side of each ``(block, block)`` similarity tile (16 MiB at 2048).
        max_pairs: stop collecting after this many pairs (a threshold far too low would
            otherwise return billions); then only the first tiles' pairs are kept.

    Raises:
        ValueError: for a threshold outside ``(-1, 1]`` or input that is not 2-D.
    """
    if not -1.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (-1, 1], got {threshold}")
    points = _normalize(representations)
    found: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []
    collected = 0
    for row_start in range(0, len(points), block_size):
        # tiles on or right of the diagonal only: each unordered pair is seen once
        for column_start in range(row_start, len(points), block_size):
            tile = _compare_tile(points, row_start, column_start, block_size, threshold)
            found.append(tile)
            collected += len(tile[0])
            if collected >= max_pairs:
                return _sorted_pairs(*map(torch.cat, zip(*found, strict=True)))[:max_pairs]
    if not found:
        return []
    return _sorted_pairs(*map(torch.cat, zip(*found, strict=True)))


def _compare_tile(
    points: torch.Tensor, row_start: int, column_start: int, block_size: int, threshold: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Global (first, second, similarity) of the pairs above threshold in one tile."""
    rows = points[row_start : row_start + block_size]
    columns = points[column_start : column_start + block_size]
    similarity = rows @ columns.T
    if row_start == column_start:
        # drop self-pairs and mirrored pairs; -2 is below any cosine threshold
        below_diagonal = torch.ones_like(similarity, dtype=torch.bool).tril()
        similarity = similarity.masked_fill(below_diagonal, -2.0)
    first, second = torch.nonzero(similarity >= threshold, as_tuple=True)
    return first + row_start, second + column_start, similarity[first, second]


def group_near_duplicates(pairs: list[NearDuplicatePair], image_count: int) -> list[list[int]]:
    """Connected components with two or more images, each sorted, largest group first."""
    if not pairs:
        return []
    firsts = np.array([pair.first for pair in pairs])
    seconds = np.array([pair.second for pair in pairs])
    graph = scipy.sparse.coo_matrix(
        (np.ones(len(pairs)), (firsts, seconds)), shape=(image_count, image_count)
    )
    _, component = connected_components(graph, directed=False)
    sizes = np.bincount(component)
    groups = [np.flatnonzero(component == label).tolist() for label in np.flatnonzero(sizes > 1)]
    return sorted(groups, key=lambda group: (-len(group), group[0]))


def find_near_duplicate_groups(
    representations: NDArray[np.floating] | torch.Tensor,
    threshold: float = DEFAULT_THRESHOLD,
    block_size: int = 4096,
) -> list[list[int]]:
    """Groups of image indices that chain together above ``threshold`` (see the pair finder)."""
    pairs = find_near_duplicate_pairs(representations, threshold, block_size)
    return group_near_duplicates(pairs, len(representations))


def _normalize(representations: NDArray[np.floating] | torch.Tensor) -> torch.Tensor:
    points = torch.as_tensor(representations).detach().float().cpu()
    if points.ndim != 2:
        raise ValueError(f"representations must be (images, dim), got shape {tuple(points.shape)}")
    return torch.nn.functional.normalize(points, dim=1)


def _sorted_pairs(
    firsts: torch.Tensor, seconds: torch.Tensor, similarities: torch.Tensor
) -> list[NearDuplicatePair]:
    order = torch.argsort(similarities, descending=True, stable=True)
    return [
        NearDuplicatePair(int(first), int(second), float(similarity))
        for first, second, similarity in zip(
            firsts[order].tolist(),
            seconds[order].tolist(),
            similarities[order].tolist(),
            strict=True,
        )
    ]
