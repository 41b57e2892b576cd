"""Expected calibration error against a naive reference, temperature scaling, and the
accuracy expected on unlabeled images."""

import numpy as np
import pytest

from simclr_core.fewlabel.calibration import (
    apply_temperature,
    calibration_map,
    expected_accuracy,
    expected_accuracy_range,
    expected_calibration_error,
    fit_temperature,
    fit_temperature_by_cross_validation,
    label_shift_weights,
)


def naive_expected_calibration_error(probabilities, labels, num_bins):
    """Guo et al.'s definition, bin by bin and sample by sample."""
    total = 0.0
    for b in range(num_bins):
        low, high = b / num_bins, (b + 1) / num_bins
        members = []
        for probability, label in zip(probabilities, labels, strict=True):
            confidence = max(probability)
            if (low < confidence <= high) or (b == 0 and confidence == 0):
                members.append((confidence, int(np.argmax(probability)) == label))
        if members:
            accuracy = sum(correct for _, correct in members) / len(members)
            confidence = sum(c for c, _ in members) / len(members)
            total += len(members) / len(labels) * abs(accuracy - confidence)
    return total


@pytest.mark.parametrize("num_bins", [1, 5, 15])
def test_ece_matches_naive_reference(num_bins):
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(200, 4)) * 2
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = rng.integers(0, 4, size=200)
    expected = naive_expected_calibration_error(probabilities, labels, num_bins)
    assert expected_calibration_error(probabilities, labels, num_bins) == pytest.approx(expected)


def test_ece_is_zero_for_confident_correct_and_one_for_confident_wrong():
    certain = np.eye(3)
    assert expected_calibration_error(certain, np.array([0, 1, 2])) == 0.0
    assert expected_calibration_error(certain, np.array([1, 2, 0])) == pytest.approx(1.0)


def test_fit_temperature_recovers_the_temperature_that_generated_labels():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(4000, 5)) * 3
    true_probabilities = apply_temperature(logits, 2.0)
    labels = np.array([rng.choice(5, p=p / p.sum()) for p in true_probabilities])
    assert fit_temperature(logits, labels) == pytest.approx(2.0, rel=0.15)


def test_temperature_scaling_lowers_ece_of_overconfident_logits():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(3000, 4)) * 2
    labels = np.array([rng.choice(4, p=p / p.sum()) for p in apply_temperature(logits, 1.0)])
    overconfident = logits * 4
    temperature = fit_temperature(overconfident, labels)
    before = expected_calibration_error(apply_temperature(overconfident, 1.0), labels)
    after = expected_calibration_error(apply_temperature(overconfident, temperature), labels)
    assert after < before / 2


def test_cross_validated_temperature_is_one_with_too_few_labels():
    assert fit_temperature_by_cross_validation(np.array([0, 1, 2]), lambda fit, held: None) == 1.0


def test_expected_accuracy_sees_past_labels_picked_for_being_hard():
    # given a pool where a prediction of confidence c is right with probability c, and labels
    # picked mostly among the least confident predictions, as the default queue does (its
    # class picks), the others at random (its typical picks are spread over the pool)
    rng = np.random.default_rng(0)
    confidence = rng.uniform(0.5, 1.0, 20_000)
    right = rng.random(20_000) < confidence
    probabilities = np.stack([confidence, 1 - confidence], 1)
    least_sure = np.argsort(confidence + rng.normal(0, 0.1, 20_000))[:300]
    others = rng.choice(np.setdiff1d(np.arange(20_000), least_sure), 100, replace=False)
    picked = np.concatenate([least_sure, others])
    labels = np.where(right[picked], 0, 1)  # class 0 is the prediction
    rest = np.setdiff1d(np.arange(20_000), picked)
    truth = right[rest].mean()
    # when the accuracy on the rest is estimated from the labeled predictions
    estimate = expected_accuracy(probabilities[picked], labels, probabilities[rest])
    # then it is near the truth, while the accuracy on the labels is far below it
    assert abs(estimate - truth) < 0.03
    assert right[picked].mean() < truth - 0.1


def test_expected_accuracy_weighs_labels_of_classes_the_queue_favoured_down():
    # given labels half predicted as a rare class (right 60% of the time at confidence 0.9)
    # and half as a common one (always right at 0.9), as a queue that seeks rare classes
    # gives, while 90% of the unlabeled images are predicted as the common class
    confidence = np.full(200, 0.9)
    held_out = np.stack([confidence, 1 - confidence], 1)
    held_out[100:] = held_out[100:, ::-1]  # the second half predicted as class 1, common
    labels = np.concatenate([np.where(np.arange(100) < 60, 0, 1), np.ones(100, int)])
    others = np.concatenate([held_out[:10], np.repeat(held_out[100:101], 90, 0)])
    # then each label counts by the root of how much more often its class is predicted among
    # the others (counting one more image per class: 11 and 91 of 102) than among the labels
    # (half), which moves the estimate from the labels' 0.8 most of the way to the truth on
    # the others (0.1 x 0.6 + 0.9 x 1 = 0.96)
    rare, common = (11 / 102 / 0.5) ** 0.5, (91 / 102 / 0.5) ** 0.5
    weights = label_shift_weights(held_out, others)
    assert weights[:100] == pytest.approx(rare) and weights[100:] == pytest.approx(common)
    estimate = (60 * rare + 100 * common) / (100 * rare + 100 * common)
    assert expected_accuracy(held_out, labels, others) == pytest.approx(estimate, abs=0.01)
    assert 0.88 < estimate < 0.9
    low, high = expected_accuracy_range(held_out, labels, others)
    assert low <= estimate <= high and low > 0.85  # the resamples are weighted too


def test_labels_of_a_class_no_image_left_is_predicted_as_still_count():
    # given labels predicted as class 0 and 1, and one unlabeled image left, predicted as 2
    held_out = np.eye(3)[np.repeat([0, 1], 25)] * 0.8 + 0.2 / 3
    labels = np.repeat([0, 1], 25)
    others = np.eye(3)[[2]] * 0.8 + 0.2 / 3
    # then the estimate, its range and the map still come from those labels
    assert expected_accuracy(held_out, labels, others) == pytest.approx(1.0)
    assert expected_accuracy_range(held_out, labels, others) == pytest.approx((1.0, 1.0))
    assert calibration_map(held_out, labels, others) is not None


def test_probabilities_of_other_classes_are_refused():
    with pytest.raises(ValueError, match="not the same classes"):
        expected_accuracy(np.eye(3), np.arange(3), np.eye(2))


def test_expected_accuracy_needs_labels_and_images():
    probabilities = np.array([[0.9, 0.1]])
    assert expected_accuracy(probabilities[:0], np.array([], int), probabilities) is None
    assert expected_accuracy(probabilities, np.array([0]), probabilities[:0]) is None


def test_the_expected_accuracy_range_holds_it_and_narrows_with_more_labels():
    rng = np.random.default_rng(1)
    confidence = rng.uniform(0.5, 1.0, 5_000)
    right = rng.random(5_000) < confidence
    probabilities = np.stack([confidence, 1 - confidence], 1)
    labels = np.where(right, 0, 1)
    widths = []
    for count in (40, 1000):
        held_out, given, rest = probabilities[:count], labels[:count], probabilities[count:]
        low, high = expected_accuracy_range(held_out, given, rest)
        assert low <= expected_accuracy(held_out, given, rest) <= high
        widths.append(high - low)
    assert widths[1] < widths[0] / 2
    assert expected_accuracy_range(probabilities[:0], labels[:0], probabilities) is None
