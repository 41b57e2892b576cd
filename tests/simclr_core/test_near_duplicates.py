"""Near-duplicate pairs and groups: planted duplicates, blocked tiles against a dense matrix, and
pixel signatures whose cosine is the Pearson correlation of grey thumbnails."""

import numpy as np
import pytest
from PIL import Image

from simclr_core.curation.near_duplicates import (
    find_near_duplicate_groups,
    find_near_duplicate_pairs,
    group_near_duplicates,
    pixel_signatures,
)


def plant_duplicates(seed: int = 0):
    """300 random images in 64-d plus copies: 5 -> 300, 7 -> 301 and 302 (a group of three)."""
    rng = np.random.default_rng(seed)
    points = rng.normal(size=(300, 64))
    copies = points[[5, 7, 7]] + 0.01 * rng.normal(size=(3, 64))
    return np.concatenate([points, copies]).astype(np.float32)


def dense_reference(points: np.ndarray, threshold: float) -> set[tuple[int, int]]:
    unit = points / np.linalg.norm(points, axis=1, keepdims=True)
    similarity = unit @ unit.T
    return {(i, j) for i, j in zip(*np.nonzero(similarity >= threshold), strict=True) if i < j}


def test_planted_pairs_are_found_and_nothing_else():
    pairs = find_near_duplicate_pairs(plant_duplicates(), threshold=0.95)
    found = {(pair.first, pair.second) for pair in pairs}
    assert found == {(5, 300), (7, 301), (7, 302), (301, 302)}
    assert all(pair.similarity >= 0.95 for pair in pairs)


def test_groups_chain_pairs_together_largest_first():
    groups = find_near_duplicate_groups(plant_duplicates(), threshold=0.95)
    assert groups == [[7, 301, 302], [5, 300]]


@pytest.mark.parametrize("block_size", [3, 7, 64, 1000])
@pytest.mark.parametrize("threshold", [0.2, -0.05])
def test_blocked_tiles_match_the_dense_matrix(block_size, threshold):
    points = np.random.default_rng(1).normal(size=(150, 8)).astype(np.float32)
    pairs = find_near_duplicate_pairs(points, threshold, block_size=block_size, center=False)
    assert {(pair.first, pair.second) for pair in pairs} == dense_reference(points, threshold)


def test_pairs_come_most_similar_first():
    points = np.random.default_rng(2).normal(size=(80, 4))
    similarities = [pair.similarity for pair in find_near_duplicate_pairs(points, 0.5)]
    assert similarities == sorted(similarities, reverse=True) and len(similarities) > 10


def test_max_pairs_caps_the_result():
    points = np.ones((50, 3))
    assert len(find_near_duplicate_pairs(points, 0.9, block_size=8, max_pairs=20)) == 20


@pytest.mark.parametrize("block_size", [4, 16, 1000])
def test_max_pairs_keeps_the_most_similar_pairs_wherever_they_are(block_size):
    points = np.random.default_rng(3).normal(size=(60, 3)).astype(np.float32)
    unit = points / np.linalg.norm(points, axis=1, keepdims=True)
    similarity = np.triu(unit @ unit.T, k=1) + np.tril(np.full((60, 60), -2.0))
    rows, columns = np.unravel_index(np.argsort(-similarity, axis=None)[:25], (60, 60))
    expected = set(zip(rows.tolist(), columns.tolist(), strict=True))

    pairs = find_near_duplicate_pairs(
        points, 0.0, block_size=block_size, max_pairs=25, center=False
    )

    assert {(pair.first, pair.second) for pair in pairs} == expected


def test_a_component_all_images_share_does_not_make_them_duplicates():
    rng = np.random.default_rng(4)
    points = 10.0 + rng.normal(size=(200, 32))  # every raw cosine is about 0.99
    points[150] = points[20] + 0.01 * rng.normal(size=32)
    assert len(find_near_duplicate_pairs(points, 0.95, center=False)) > 10_000

    pairs = find_near_duplicate_pairs(points, 0.95)

    assert [(pair.first, pair.second) for pair in pairs] == [(20, 150)]


def test_identical_images_at_the_mean_still_pair():
    groups = find_near_duplicate_groups(np.ones((6, 4)), threshold=0.99)
    assert groups == [[0, 1, 2, 3, 4, 5]]


def test_no_pairs_means_no_groups():
    assert group_near_duplicates([], 10) == []
    assert find_near_duplicate_groups(np.eye(5), threshold=0.5) == []


def test_bad_threshold_is_refused():
    with pytest.raises(ValueError, match="threshold"):
        find_near_duplicate_pairs(np.eye(3), threshold=1.5)


def test_pixel_signatures_correlate_as_pillows_grey_thumbnails_do():
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, size=(5, 3, 70, 70), dtype=np.uint8)  # 70 = 4 x 16 + 6
    signatures = pixel_signatures(images)
    # Pillow's grey (ITU-R 601-2 luma) of the centre 64 px, averaged over 4 x 4 blocks
    thumbnails = np.stack([
        np.asarray(Image.fromarray(image.transpose(1, 2, 0)[3:67, 3:67]).convert("L")
                   .resize((16, 16), Image.Resampling.BOX), dtype=np.float64).ravel()
        for image in images
    ])  # fmt: skip
    assert signatures.shape == (5, 256)
    np.testing.assert_allclose(signatures @ signatures.T, np.corrcoef(thumbnails), atol=0.01)


def test_a_uniform_picture_has_no_signature_to_pair_with():
    images = np.full((2, 3, 32, 32), 200, dtype=np.uint8)
    assert not pixel_signatures(images).any()
    assert find_near_duplicate_pairs(pixel_signatures(images), 0.5, center=False) == []


@pytest.mark.parametrize("shape", [(2, 3, 8, 8), (2, 1, 32, 32), (2, 3, 32, 48)])
def test_pixel_signatures_refuse_what_is_not_square_rgb_of_16_px_or_more(shape):
    with pytest.raises(ValueError, match="must be"):
        pixel_signatures(np.zeros(shape, dtype=np.uint8))
