"""2-D map projection: shape, range, aspect ratio, and agreement with a naive PCA."""

import numpy as np
import pytest

from simclr_core.curation.projection_2d import (
    is_umap_available,
    project_to_2d,
    scale_to_unit_square,
)


def make_points(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(300, 32)).astype(np.float32) * np.linspace(5, 0.1, 32)


def test_pca_map_is_float32_in_the_unit_square():
    coordinates = project_to_2d(make_points())
    assert coordinates.shape == (300, 2) and coordinates.dtype == np.float32
    assert np.abs(coordinates).max() == pytest.approx(1.0)
    assert coordinates.min() >= -1.0 and coordinates.max() <= 1.0


def test_pca_map_matches_the_top_two_eigenvectors_up_to_sign_and_scale():
    points = make_points()
    unit = points / np.linalg.norm(points, axis=1, keepdims=True)
    centred = unit - unit.mean(axis=0)
    eigenvectors = np.linalg.eigh(centred.T @ centred)[1][:, ::-1][:, :2]
    expected = scale_to_unit_square(centred @ eigenvectors)
    coordinates = project_to_2d(points)
    for axis in range(2):
        correlation = np.corrcoef(coordinates[:, axis], expected[:, axis])[0, 1]
        assert abs(correlation) > 0.999


def test_scaling_keeps_the_aspect_ratio():
    scaled = scale_to_unit_square(np.array([[0.0, 0.0], [4.0, 1.0], [2.0, 0.5]]))
    assert scaled.tolist() == [[-1.0, -0.25], [1.0, 0.25], [0.0, 0.0]]


def test_same_seed_same_map():
    points = make_points(1)
    assert np.array_equal(project_to_2d(points, seed=3), project_to_2d(points, seed=3))


@pytest.mark.parametrize("shape", [(0, 8), (1, 8), (5, 1)])
def test_degenerate_inputs_still_give_points_in_range(shape):
    coordinates = project_to_2d(np.ones(shape, dtype=np.float32))
    assert coordinates.shape == (shape[0], 2) and np.all(np.abs(coordinates) <= 1.0)


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown projection"):
        project_to_2d(make_points(), method="tsne")


@pytest.mark.skipif(is_umap_available(), reason="umap-learn is installed")
def test_umap_without_the_package_says_so():
    with pytest.raises(ImportError, match="umap-learn"):
        project_to_2d(make_points(), method="umap")
