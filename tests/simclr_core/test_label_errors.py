"""Confident learning on hand-sized arrays and on synthetic blobs with planted flipped labels."""

import numpy as np
import pytest

from simclr_core.curation.label_errors import (
    assess_model,
    assign_confident_classes,
    calibrate_confident_joint,
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
    [issue] = find_label_issues(LABELS, PROBABILITIES, ["cat", "dog"], max_given_probability=1)
    assert (issue.index, issue.given_label, issue.suggested_label) == (1, 0, 1)
    assert issue.reason == "labeled cat, but the model says dog 0.80 (cat 0.20)"


def test_a_label_the_model_gives_more_than_the_limit_is_not_flagged():
    # image 1 gives its label cat 0.20: plausible enough for a calibrated model
    assert find_label_issues(LABELS, PROBABILITIES, max_given_probability=0.1) == []


def test_calibrated_joint_rows_sum_to_the_label_counts():
    # six images labeled 0: three confidently 0, one confidently 1, two confidently nothing
    labels = np.array([0] * 6 + [1] * 2)
    probabilities = np.array([[0.9, 0.1]] * 3 + [[0.1, 0.9]] + [[0.5, 0.5]] * 2 + [[0.1, 0.9]] * 2)
    joint = calibrate_confident_joint(labels, probabilities)
    # row 0 counts [3, 1] of 4 confident images, scaled to its 6 labels
    assert np.allclose(joint, [[4.5, 1.5], [0.0, 2.0]])


def test_prune_by_noise_rate_flags_as_many_as_the_joint_estimates():
    # two images labeled 0 look like 1, but the calibrated joint expects one error: the one
    # with the larger margin is flagged
    labels = np.array([0] * 8 + [1] * 4)
    probabilities = np.array([[0.99, 0.01]] * 6 + [[0.01, 0.99], [0.3, 0.7]] + [[0.01, 0.99]] * 4)
    issues = find_label_issues(labels, probabilities, max_given_probability=1)
    assert [issue.index for issue in issues] == [6]


def test_a_strong_model_is_trusted_and_a_weak_one_is_not():
    labels = np.repeat(np.arange(2), 10)
    right = np.eye(2)[labels] * 0.98 + 0.01
    assert assess_model(labels, right).reliable
    wrong_half = right.copy()
    wrong_half[::2] = right[::2, ::-1]  # half the labels disagree, none flagged
    assessment = assess_model(labels, wrong_half)
    assert not assessment.reliable and assessment.accuracy == pytest.approx(0.5)
    assert "agrees with only 50% of the labels it does not suspect" in assessment.reason


def test_flagged_labels_do_not_count_against_the_model():
    labels = np.repeat(np.arange(2), 10)
    probabilities = np.eye(2)[labels] * 0.98 + 0.01
    probabilities[:3] = probabilities[:3, ::-1]  # three labels look wrong
    issues = find_label_issues(labels, probabilities)
    assert [issue.index for issue in issues] == [0, 1, 2]
    assert assess_model(labels, probabilities, issues).accuracy == 1.0


def test_a_class_with_too_few_labels_is_not_judged():
    labels = np.array([0] * 10 + [1] * 2)
    assessment = assess_model(labels, np.eye(2)[labels] * 0.98 + 0.01)
    assert not assessment.reliable and "only 2 labels" in assessment.reason


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
    # conservative: it trades recall (a label must look at most 2% likely) for few false alarms
    assert len(found & flipped) >= 0.5 * len(flipped)
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
