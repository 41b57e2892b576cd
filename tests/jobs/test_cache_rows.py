"""The embed child reads the decoded cache a batch at a time: all of it, or only the rows of
the images added since (in the order asked)."""

from pathlib import Path

import numpy as np
import pytest

from labelapp.learning.training_process import read_batches


def test_the_cache_is_read_whole_or_by_rows(tmp_path: Path) -> None:
    cache = np.arange(7 * 3 * 2 * 2, dtype=np.uint8).reshape(7, 3, 2, 2)
    np.save(tmp_path / "images.npy", cache)

    whole = [batch.numpy() for batch in read_batches(tmp_path / "images.npy", 3)]
    rows = [batch.numpy() for batch in read_batches(tmp_path / "images.npy", 2, [6, 1, 4])]

    assert [len(batch) for batch in whole] == [3, 3, 1]
    assert (np.concatenate(whole) == cache).all()
    assert [len(batch) for batch in rows] == [2, 1]
    assert (np.concatenate(rows) == cache[[6, 1, 4]]).all()
    with pytest.raises(IndexError, match="row 7 of a cache of 7 images"):
        list(read_batches(tmp_path / "images.npy", 2, [7]))
