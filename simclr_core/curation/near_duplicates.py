"""Near-duplicate finder: pairs and groups of images whose representations nearly coincide.

Cosine similarity of L2-normalised SimCLR representations ``h`` ``(images, dim)``, centred by
default: h comes after a ReLU and average pooling, so every entry is non-negative and all
images share a large common direction. Raw cosines are then all high (on CIFAR-10, 0.95
chains 1,195 of 10,000 images into one group); after subtracting the mean of the unit rows,
unrelated images sit near 0 and copies still at 1. Computed as blocked matrix products of
``block_size`` rows against the rows after them, so 100,000 images never build a
100,000 x 100,000 matrix: memory is ``block_size x block_size`` floats at a time.
NumPy only (no torch), so the web and worker processes can run it without loading torch.
Groups are the connected components of the "similar enough" graph.

``DUPLICATE_THRESHOLD`` was calibrated with ``benchmarks/near_duplicates.py`` on the
ImageNet-pretrained EfficientNet-Lite0's representations: real photos (and product photos on
a plain background, where many distinct items look alike) with injected near copies. At 0.95
every pair it found was a planted copy; at 0.90 distinct products start to pair (precision
0.91) and at 0.85 they chain (a group of 40). Recall at 0.95 is low on the real photos (2,062
sign-language digit photos, 400 planted copies; ``benchmarks/near_duplicates.py --no-pixels``,
re-run 2026-12-01): 0.22 in all, 0.75 of the recoloured copies, 0.13 of the cropped ones, 0
of those saved again as JPEG (quality 40-70) or resized to 50-80%, which move the centred
representations of these look-alike photos more than a different shot does. It holds for
that encoder only: a randomly
initialised encoder chains distinct images at every threshold below 1 (105 distinct product
photos in one group at 0.99), so its similarities are not evidence of a duplicate.

The copies the representations miss are found pixel by pixel: :func:`pixel_signatures` (a
16 x 16 grey thumbnail of the centre square, minus its mean) of two images correlate at
``PIXEL_THRESHOLD`` (0.997) or more. Measured with ``benchmarks/near_duplicates.py`` from the
centre squares at 224, 64 and 32 px alike: on the real photos it found every JPEG re-save and
resized copy and 95% of the recoloured ones (cropped: none) with no distinct pair; on 3,000
Fashion-MNIST product photos (distinct trousers whose thumbnails correlate up to 0.9956) 88-90%
of the re-saves and every recoloured copy, again with no distinct pair, where 0.995 paired one.
With the encoder at 0.95, the real photos' planted copies were found at 78% (every re-save and
resized copy, 97% of the recoloured, 13% of the cropped), precision 1.000 (0.995 on
Fashion-MNIST: the encoder's one distinct pair). Among 30,000 Fashion-MNIST images with nothing
planted, 34 pairs correlate at 0.997 (largest group 4): most are the same product at another
brightness or colour, the set's own near copies; a few are look-alike trousers. Any encoder
can use it: it does not depend on the representations.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.csgraph import connected_components

from simclr_core.curation.normalize import normalize_rows

DEFAULT_THRESHOLD = 0.95
DUPLICATE_THRESHOLD = 0.95  # calibrated for the ImageNet-pretrained Lite0 (see above)
PIXEL_THRESHOLD = 0.997  # Pearson r of pixel_signatures, for any encoder (see above)
PIXEL_SIDE = 16
FloatArray = NDArray[np.float32]
Pairs = tuple[NDArray[np.int64], NDArray[np.int64], FloatArray]  # first, second, similarity


@dataclass(frozen=True)
class NearDuplicatePair:
    """Two images (``first < second``) whose representations have cosine ``similarity``."""

    first: int
    second: int
    similarity: float


def find_near_duplicate_pairs(
    representations: ArrayLike,
    threshold: float = DEFAULT_THRESHOLD,
    block_size: int = 2048,
    max_pairs: int = 1_000_000,
    center: bool = True,
) -> list[NearDuplicatePair]:
    """Every pair with cosine similarity ``>= threshold``, most similar first.

    Args:
        representations: ``(images, dim)``; rows are L2-normalised here.
        threshold: cosine similarity in ``(-1, 1]`` at or above which two images pair up.
        block_size: side of each ``(block, block)`` similarity tile (16 MiB at 2048).
        max_pairs: keep at most this many pairs, the most similar ones (a threshold far too
            low would otherwise return billions). The result is then complete above the
            similarity of its last pair: every pair more similar than that is in it.
        center: subtract the mean of the L2-normalised rows first (see the module notes).
            Rows that sit exactly at the mean pair with each other at 1 and with no one else.

    Raises:
        ValueError: for a threshold outside ``(-1, 1]`` or input that is not 2-D.
    """
    firsts, seconds, similarities = find_similar_pairs(
        representations, threshold, block_size, max_pairs, center
    )
    return [
        NearDuplicatePair(first, second, similarity)
        for first, second, similarity in zip(
            firsts.tolist(), seconds.tolist(), similarities.tolist(), strict=True
        )
    ]


def find_similar_pairs(
    representations: ArrayLike,
    threshold: float = DEFAULT_THRESHOLD,
    block_size: int = 2048,
    max_pairs: int = 1_000_000,
    center: bool = True,
) -> Pairs:
    """:func:`find_near_duplicate_pairs` as three arrays (first, second, similarity), for
    callers that store or filter many pairs."""
    if not -1.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (-1, 1], got {threshold}")
    points = _normalize(representations, center)
    tiles: list[Pairs] = []
    held = 0
    floor = threshold  # rises once more than max_pairs pairs are held
    for row_start in range(0, len(points), block_size):
        # tiles on or right of the diagonal only: each unordered pair is seen once
        for column_start in range(row_start, len(points), block_size):
            tile = _compare_tile(points, row_start, column_start, block_size, floor)
            tiles.append(tile)
            held += len(tile[0])
            if held > 2 * max_pairs:  # keep the most similar; nothing below them can enter
                tiles = [_most_similar(_concatenate(tiles), max_pairs)]
                held = max_pairs
                floor = max(floor, float(tiles[0][2][-1]))
    return _most_similar(_concatenate(tiles), max_pairs)


def pixel_signatures(images: NDArray[np.uint8], side: int = PIXEL_SIDE) -> FloatArray:
    """``(N, side * side)`` unit rows from square images ``(N, 3, S, S)`` uint8: the grey
    picture averaged over ``side x side`` blocks (the centre ``side * (S // side)`` pixels),
    minus its mean, so that the cosine of two rows is the Pearson correlation of the two
    thumbnails (rows of a uniform picture are zero and pair with nothing)."""
    count, channels, height, width = images.shape
    if channels != 3 or height != width or height < side:
        raise ValueError(f"images must be (N, 3, S, S) with S >= {side}, got {images.shape}")
    block = height // side
    start = (height - block * side) // 2
    centre = images[:, :, start : start + block * side, start : start + block * side]
    sums = centre.reshape(count, 3, side, block, side, block).sum(axis=(3, 5), dtype=np.uint32)
    grey = np.tensordot(np.array([0.299, 0.587, 0.114], np.float32), sums, axes=([0], [1]))
    grey = grey.reshape(count, side * side)
    return normalize_rows(grey - grey.mean(axis=1, keepdims=True))


def _compare_tile(
    points: FloatArray, row_start: int, column_start: int, block_size: int, threshold: float
) -> Pairs:
    """Global (first, second, similarity) of the pairs above threshold in one tile."""
    rows = points[row_start : row_start + block_size]
    # four decimals: float32 rounding must not put an exact copy below a threshold of 1.00
    similarity = np.round(rows @ points[column_start : column_start + block_size].T, 4)
    if row_start == column_start:
        # drop self-pairs and mirrored pairs; -2 is below any cosine threshold
        similarity[np.tril_indices(len(similarity), m=similarity.shape[1])] = -2.0
    first, second = np.nonzero(similarity >= threshold)
    return first + row_start, second + column_start, similarity[first, second]


def _concatenate(tiles: list[Pairs]) -> Pairs:
    if not tiles:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    firsts, seconds, similarities = zip(*tiles, strict=True)
    return np.concatenate(firsts), np.concatenate(seconds), np.concatenate(similarities)


def _most_similar(pairs: Pairs, limit: int) -> Pairs:
    """The ``limit`` most similar pairs, most similar first (ties in tile order)."""
    firsts, seconds, similarities = pairs
    order = np.argsort(-similarities, kind="stable")[:limit]
    return firsts[order], seconds[order], similarities[order]


def group_near_duplicates(pairs: list[NearDuplicatePair], image_count: int) -> list[list[int]]:
    """Connected components with two or more images, each sorted, largest group first."""
    firsts = np.array([pair.first for pair in pairs], dtype=np.int64)
    seconds = np.array([pair.second for pair in pairs], dtype=np.int64)
    return group_pairs(firsts, seconds, image_count)


def group_pairs(firsts: ArrayLike, seconds: ArrayLike, image_count: int) -> list[list[int]]:
    """:func:`group_near_duplicates` for pairs given as two index arrays."""
    firsts, seconds = np.asarray(firsts, dtype=np.int64), np.asarray(seconds, dtype=np.int64)
    if len(firsts) == 0:
        return []
    graph = scipy.sparse.coo_matrix(
        (np.ones(len(firsts)), (firsts, seconds)), shape=(image_count, image_count)
    )
    _, component = connected_components(graph, directed=False)
    order = np.argsort(component, kind="stable")  # each component's images, in index order
    starts = np.flatnonzero(np.diff(component[order], prepend=-1))
    groups = [group.tolist() for group in np.split(order, starts[1:]) if len(group) > 1]
    return sorted(groups, key=lambda group: (-len(group), group[0]))


def find_near_duplicate_groups(
    representations: ArrayLike,
    threshold: float = DEFAULT_THRESHOLD,
    block_size: int = 4096,
    center: bool = True,
) -> list[list[int]]:
    """Groups of image indices that chain together above ``threshold`` (see the pair finder)."""
    pairs = find_near_duplicate_pairs(representations, threshold, block_size, center=center)
    return group_near_duplicates(pairs, len(np.asarray(representations)))


def _normalize(representations: ArrayLike, center: bool) -> FloatArray:
    points = np.asarray(representations, dtype=np.float32)
    if points.ndim != 2:
        raise ValueError(f"representations must be (images, dim), got shape {points.shape}")
    points = normalize_rows(points)
    if not center:
        return points
    centred = points - points.mean(axis=0)
    at_mean = np.linalg.norm(centred, axis=1) < 1e-6
    # one extra coordinate: 0 for every row, 1 for rows at the mean (no direction of their own)
    return np.hstack([normalize_rows(centred), at_mean[:, None].astype(np.float32)])
