"""The train child keeps the features' nearest neighbours between jobs: finding them is the
costliest step with many images, and the features change only when images are embedded."""

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from labelapp.learning import training_process
from labelapp.learning.training_process import knn_graph
from simclr_core.fewlabel.classifier_selection import train_best_classifier
from simclr_core.fewlabel.label_propagation import build_knn_graph
from simclr_core.progress import ignore_progress


def clusters(seed: int, count: int = 120, spread: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % 3
    centres = rng.normal(size=(3, 16)) * spread
    return (centres[labels] + rng.normal(size=(count, 16))).astype(np.float32), labels


def stored(folder: Path) -> list[Path]:
    return sorted(folder.glob("neighbors-*.npz"))


def test_the_graph_is_the_same_found_or_read_back_and_is_read_back(tmp_path: Path) -> None:
    features, _ = clusters(0)
    expected = build_knn_graph(features).toarray()

    found = knn_graph(features, tmp_path, "cpu", ignore_progress)
    (path,) = stored(tmp_path)
    read_back = knn_graph(features, tmp_path, "cpu", ignore_progress)

    np.testing.assert_allclose(found.toarray(), expected, rtol=1e-6)
    np.testing.assert_allclose(read_back.toarray(), expected, rtol=1e-6)
    # it is read, not found again: neighbours written into the file come out of it
    with np.load(path) as archive:
        similarities, indices = archive["similarities"], archive["indices"]
    np.savez(path, similarities=similarities, indices=np.roll(indices, 1, axis=0))
    assert not np.allclose(knn_graph(features, tmp_path, "cpu", ignore_progress).toarray(),
                           expected)  # fmt: skip


def test_damaged_or_foreign_neighbours_are_found_again(tmp_path: Path) -> None:
    features, _ = clusters(1)
    expected = build_knn_graph(features).toarray()
    knn_graph(features, tmp_path, "cpu", ignore_progress)
    (path,) = stored(tmp_path)
    for damaged in (b"not an npz file", _npy_bytes(np.arange(3))):  # or another format
        path.write_bytes(damaged)

        graph = knn_graph(features, tmp_path, "cpu", ignore_progress)

        np.testing.assert_allclose(graph.toarray(), expected, rtol=1e-6)
        assert stored(tmp_path) == [path]
    # neighbours of another set of images (indices out of range) are not taken either
    np.savez(path, similarities=np.ones((120, 20), np.float32), indices=np.full((120, 20), 500))
    np.testing.assert_allclose(
        knn_graph(features, tmp_path, "cpu", ignore_progress).toarray(), expected, rtol=1e-6
    )
    # other features (images were embedded since) get their own neighbours, and the old
    # set is removed
    other, _ = clusters(2)
    np.testing.assert_allclose(
        knn_graph(other, tmp_path, "cpu", ignore_progress).toarray(),
        build_knn_graph(other).toarray(),
        rtol=1e-6,
    )
    (newer,) = stored(tmp_path)
    assert newer != path


def test_a_folder_that_cannot_be_written_costs_only_the_storing(tmp_path: Path) -> None:
    # the project's cache folder is gone (the project was deleted while the job ran)
    features, _ = clusters(6)
    folder = tmp_path / "deleted-project" / "neighbors"

    graph = knn_graph(features, folder, "cpu", ignore_progress)

    np.testing.assert_allclose(graph.toarray(), build_knn_graph(features).toarray(), rtol=1e-6)
    assert not (tmp_path / "deleted-project").exists()  # not created again, nothing left
    assert list(tmp_path.iterdir()) == []


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_the_train_child_stores_neighbours_and_predicts_the_same_with_them(
    tmp_path: Path, capsys: Any
) -> None:
    features, labels = clusters(3)
    labeled = np.concatenate([np.flatnonzero(labels == label)[:4] for label in range(3)])
    np.save(tmp_path / "features.npy", features)
    folder = tmp_path / "neighbors"  # the worker creates it
    folder.mkdir()
    spec = {
        "representations": str(tmp_path / "features.npy"),
        "labeled_indices": labeled.tolist(),
        "labels": labels[labeled].tolist(),
        "num_classes": 3,
        "output": str(tmp_path / "classifier.npz"),
        "neighbors_cache": str(folder),
    }

    runs = []
    for _ in range(2):
        training_process.run_train(spec)
        events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        runs.append((events, np.load(tmp_path / "classifier.npz")["probabilities"]))

    assert len(stored(folder)) == 1
    finding = [e for e in runs[0][0] if (e.get("message") or "").startswith("Finding the 20")]
    assert finding and not any(
        (e.get("message") or "").startswith("Finding") for e in runs[1][0]
    )  # the second job read them back
    np.testing.assert_allclose(runs[0][1], runs[1][1], atol=1e-6)
    direct = train_best_classifier(features, labeled, labels[labeled], 3)
    np.testing.assert_allclose(runs[1][1], direct.probabilities, atol=1e-5)


@pytest.mark.parametrize("method", ["self_training", "label_propagation"])
def test_a_given_graph_is_the_one_the_graph_methods_use(method: str) -> None:
    features, labels = clusters(4, spread=0.5)  # overlapping: the neighbours matter
    labeled = np.concatenate([np.flatnonzero(labels == label)[:4] for label in range(3)])
    args = (features, labeled, labels[labeled], 3)
    own = train_best_classifier(*args, methods=[method])
    same = train_best_classifier(*args, methods=[method], graph=build_knn_graph(features))
    # a graph of other images' neighbours changes the answer: the given graph is used
    shuffled = build_knn_graph(np.random.default_rng(5).permutation(features))
    other = train_best_classifier(*args, methods=[method], graph=shuffled)

    np.testing.assert_allclose(own.probabilities, same.probabilities, atol=1e-6)
    assert not np.allclose(own.probabilities, other.probabilities, atol=1e-3)
