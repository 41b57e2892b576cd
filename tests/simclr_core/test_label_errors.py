"""Confident learning on hand-sized arrays and on synthetic blobs with planted flipped labels."""

import numpy as np
import pytest

from simclr_core.label_errors import (
    assign_confident_classes,
    compute_class_thresholds,
    estimate_confident_joint,
    find_label_issues,
    predict_out_of_fold,
)

# four images labeled 0, 0, 1, 1; image 1 looks like class 1 and image 3 is unsure
LABELS = np.array([0, 0, 1, 1])
PROBABILITIES = np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.5, 0.5]])


def test_thresholds_are_mean_self_confidence_per_class():
    # class 0: (0.9 + 0.2) / 2; class 1: (0.7 + 0.5) / 2
    assert np.allclose(compute_class_thresholds(LABELS, PROBABILITIES), [0.55, 0.6])


def test_a_class_nobody_carries_gets_an_unreachable_threshold():
    thresholds = compute_class_thresholds(np.array([0, 0]), np.array([[0.6, 0.3, 0.1]] * 2))
    assert thresholds[0] == pytest.approx(0.6) and np.isinf(thresholds[1:]).all()


def test_confident_class_is_the_most_probable_above_its_threshold():
    # image 3: 0.5 < 0.55 and 0.5 < 0.6, so no confident class
    assert assign_confident_classes(LABELS, PROBABILITIES).tolist() == [0, 1, 1, -1]


def test_confident_joint_counts_given_against_confident():
    assert estimate_confident_joint(LABELS, PROBABILITIES).tolist() == [[1, 1], [0, 1]]


def test_off_diagonal_image_is_reported_with_a_reason():
    [issue] = find_label_issues(LABELS, PROBABILITIES, ["cat", "dog"])
    assert (issue.index, issue.given_label, issue.suggested_label) == (1, 0, 1)
    assert issue.reason == "labeled cat, but the model says dog 0.80 (cat 0.20)"


def make_noisy_blobs(flip_fraction: float = 0.05, seed: int = 0):
    """Four separated blobs of 100 in 16-d; a few labels flipped to another class."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(4, 16)) * 8.0
    truth = np.repeat(np.arange(4), 100)
    points = centres[truth] + rng.normal(size=(400, 16))
    flipped = rng.choice(400, int(flip_fraction * 400), replace=False)
    labels = truth.copy()
    labels[flipped] = (truth[flipped] + rng.integers(1, 4, len(flipped))) % 4
    return points, labels, set(flipped.tolist())


def test_flipped_labels_are_found_with_out_of_fold_predictions():
    points, labels, flipped = make_noisy_blobs()
    issues = find_label_issues(labels, predict_out_of_fold(points, labels))
    found = {issue.index for issue in issues}
    # confident learning is conservative: it trades some recall for few false alarms
    assert len(found & flipped) >= 0.75 * len(flipped)
    assert len(found - flipped) <= 0.1 * len(found)


def test_flipped_labels_rank_ahead_of_false_alarms():
    points, labels, flipped = make_noisy_blobs(flip_fraction=0.1, seed=1)
    issues = find_label_issues(labels, predict_out_of_fold(points, labels))
    top = [issue.index for issue in issues[: len(flipped) // 2]]
    assert set(top) <= flipped


def test_out_of_fold_rows_are_distributions():
    points, labels, _ = make_noisy_blobs()
    probabilities = predict_out_of_fold(points, labels, fold_count=3)
    assert probabilities.shape == (400, 4) and np.allclose(probabilities.sum(axis=1), 1.0)


def test_mismatched_shapes_are_refused():
    with pytest.raises(ValueError, match="do not match"):
        find_label_issues(np.array([0, 1, 0]), PROBABILITIES)
