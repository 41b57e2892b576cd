"""2-D embedding map: project representations ``(images, dim)`` to points ``(images, 2)``.

PCA by default (randomized subspace iteration: about a second for 100,000 x 512). UMAP only when the
optional ``umap-learn`` package is importable. Output is float32, centred, and scaled by one
factor for both axes (the map keeps its aspect ratio) so every coordinate lies in ``[-1, 1]``
and the wider axis spans it exactly.
"""

import importlib.util

import numpy as np
import torch
from numpy.typing import NDArray

PROJECTION_METHODS = ("pca", "umap")


def is_umap_available() -> bool:
    """Whether the optional ``umap`` package (umap-learn) can be imported."""
    return importlib.util.find_spec("umap") is not None


def project_to_2d(
    representations: NDArray[np.floating] | torch.Tensor, method: str = "pca", seed: int = 0
) -> NDArray[np.float32]:
    """Project ``(images, dim)`` representations to ``(images, 2)`` in ``[-1, 1]``.

    Args:
        representations: one row per image; rows are L2-normalised first (cosine geometry,
            as for selection and kNN).
        method: ``"pca"`` (default) or ``"umap"``.
        seed: seed of the randomized PCA / UMAP.

    Raises:
        ValueError: for an unknown method or input that is not 2-D.
        ImportError: for ``"umap"`` when umap-learn is not installed.
    """
    points = torch.as_tensor(representations).detach().float().cpu()
    if points.ndim != 2:
        raise ValueError(f"representations must be (images, dim), got shape {tuple(points.shape)}")
    points = torch.nn.functional.normalize(points, dim=1)
    if method == "pca":
        coordinates = _project_pca(points, seed)
    elif method == "umap":
        coordinates = _project_umap(points, seed)
    else:
        raise ValueError(f"unknown projection {method!r}; use one of {PROJECTION_METHODS}")
    return scale_to_unit_square(coordinates)


def scale_to_unit_square(coordinates: NDArray[np.floating]) -> NDArray[np.float32]:
    """Centre ``(images, 2)`` on the midpoint of its bounding box and divide by the larger
    half-extent, so all points lie in ``[-1, 1]``; a single point or identical points map to 0."""
    points = np.asarray(coordinates, dtype=np.float64)
    if len(points) == 0:
        return np.zeros((0, 2), dtype=np.float32)
    low, high = points.min(axis=0), points.max(axis=0)
    half_extent = float((high - low).max()) / 2.0
    centred = points - (low + high) / 2.0
    if half_extent <= 1e-12:
        return np.zeros_like(points, dtype=np.float32)
    return np.asarray(np.clip(centred / half_extent, -1.0, 1.0), dtype=np.float32)


def _project_pca(points: torch.Tensor, seed: int, iterations: int = 6) -> NDArray[np.float64]:
    """First two principal components ``(images, 2)``; zero columns where rank is below 2.

    Randomized subspace iteration (Halko et al., 2011) on the centred rows with 8 extra
    directions, then Rayleigh-Ritz to order the axes: ``O(images * dim)`` per step. (Here
    ``torch.pca_lowrank`` was over 10x slower on 100,000 x 512.)
    """
    coordinates = np.zeros((len(points), 2))
    components = min(2, points.shape[0] - 1, points.shape[1])
    if components <= 0:
        return coordinates
    width = min(components + 8, points.shape[1])
    mean = points.mean(dim=0)
    generator = torch.Generator().manual_seed(seed)
    basis = torch.randn(points.shape[1], width, generator=generator)
    for _ in range(iterations):
        projected = points @ basis - mean @ basis  # centred rows times the basis
        # (P^T X)^T, not X^T P: the transposed product is several times slower on the CPU
        back = (projected.T @ points).T - torch.outer(mean, projected.sum(dim=0))
        basis = torch.linalg.qr(back.double())[0].float()
    projected = (points @ basis - mean @ basis).double()
    _, eigenvectors = torch.linalg.eigh(projected.T @ projected)  # ascending eigenvalues
    axes = projected @ eigenvectors.flip(dims=[1])[:, :components]
    coordinates[:, :components] = axes.numpy()
    return coordinates


def _project_umap(points: torch.Tensor, seed: int) -> NDArray[np.float64]:
    if not is_umap_available():
        raise ImportError("method='umap' needs the optional umap-learn package; use 'pca'")
    import umap  # optional dependency, imported only when asked for

    reducer = umap.UMAP(n_components=2, metric="cosine", random_state=seed)
    return np.asarray(reducer.fit_transform(points.numpy()), dtype=np.float64)
