"""Unit-length rows: the cosine geometry that selection and near-duplicate search share."""

import numpy as np
from numpy.typing import NDArray


def normalize_rows(representations: NDArray[np.floating]) -> NDArray[np.float32]:
    """L2-normalise ``(images, dim)`` rows to float32; all-zero rows stay zero."""
    rows = np.asarray(representations, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.asarray(rows / np.maximum(norms, 1e-12), dtype=np.float32)
