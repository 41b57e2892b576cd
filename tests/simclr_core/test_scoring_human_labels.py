"""Accepted predictions train the final model, but no fold, and only labels a person gave are
scored."""

import numpy as np
import pytest
import torch

from simclr_core.fewlabel.classifier_selection import (
    METHODS,
    FineTuneInputs,
    train_best_classifier,
)
from simclr_core.fewlabel.fine_tune import FineTuneConfig
from simclr_core.ssl.encoder import build_encoder

from .conftest import TINY_ENCODER


def hard_people_easy_predictions(seed: int = 0) -> tuple[np.ndarray, np.ndarray, int]:
    """40 overlapping points a person labeled, then 300 far-out points whose labels a
    confident model gave (its own easy answers). Returns features, labels, people count."""
    rng = np.random.default_rng(seed)
    people = np.repeat([0, 1], 20)
    accepted = np.repeat([0, 1], 150)
    near = np.stack([np.where(people == 0, -1.0, 1.0), np.zeros(40)], 1)
    far = np.stack([np.where(accepted == 0, -6.0, 6.0), np.zeros(300)], 1)
    features = np.concatenate(
        [near + rng.normal(0, 1.2, (40, 2)), far + rng.normal(0, 0.3, (300, 2))]
    )
    return features.astype(np.float32), np.concatenate([people, accepted]), 40


def test_accepting_predictions_does_not_raise_the_estimate() -> None:
    # given labels a person gave on hard images, and a model's accepted easy answers
    features, labels, people = hard_people_easy_predictions()
    everything = np.arange(len(labels))
    by_person = everything < people
    # when the classifier is trained on the people's labels alone, then on all of them
    alone = train_best_classifier(features, everything[:people], labels[:people], 2)
    accepted = train_best_classifier(features, everything, labels, 2, scored=by_person)
    # then the estimate stays where the people's labels put it
    assert accepted.cross_validated_accuracy[accepted.method] <= (
        alone.cross_validated_accuracy[alone.method] + 0.05
    )
    assert accepted.cross_validated_accuracy[accepted.method] < 0.9
    # and every label still gets an out-of-fold probability (the label-error finder uses them)
    assert accepted.out_of_fold.shape == (len(labels), 2)
    assert accepted.scored.tolist() == by_person.tolist()


def test_the_estimate_reads_a_model_of_the_labels_a_person_gave() -> None:
    # given labels a person gave and a model's accepted answers
    features, labels, people = hard_people_easy_predictions()
    everything = np.arange(len(labels))
    accepted = train_best_classifier(features, everything, labels, 2, scored=everything < people)
    # when the same method is trained on the people's labels alone
    alone = train_best_classifier(
        features, everything[:people], labels[:people], 2, methods=[accepted.method]
    )
    # then that model's probabilities are the ones the expected accuracy reads, calibrated
    # as the folds were, while the predictions come from the model that saw every label
    np.testing.assert_allclose(accepted.for_estimate(), alone.probabilities, atol=1e-5)
    assert not np.allclose(accepted.probabilities, accepted.for_estimate(), atol=1e-3)
    # and with every label a person's, the estimate reads the predictions themselves
    assert alone.from_people is None and alone.for_estimate() is alone.probabilities


def test_scoring_the_accepted_predictions_would_inflate_it() -> None:
    # the behaviour this replaces: every label scored, the easy answers included
    features, labels, _ = hard_people_easy_predictions()
    everything = np.arange(len(labels))

    inflated = train_best_classifier(features, everything, labels, 2)

    assert inflated.cross_validated_accuracy[inflated.method] > 0.9


def test_without_a_label_from_a_person_nothing_is_scored() -> None:
    features, labels, _ = hard_people_easy_predictions()
    everything = np.arange(len(labels))

    report = train_best_classifier(
        features, everything, labels, 2, scored=np.zeros(len(labels), bool)
    )

    assert report.cross_validated_accuracy == {}
    assert report.method == "self_training"  # the first candidate
    assert report.probabilities.shape == (len(features), 2)


def test_the_scored_mask_needs_one_entry_per_label() -> None:
    features, labels, _ = hard_people_easy_predictions()

    with pytest.raises(ValueError, match="one entry per label"):
        train_best_classifier(features, np.arange(10), labels[:10], 2, scored=np.ones(3, bool))


def test_progress_counts_every_fit_of_every_method() -> None:
    features, labels, people = hard_people_easy_predictions()
    seen: list[tuple[float | None, str | None]] = []

    report = train_best_classifier(
        features, np.arange(people), labels[:people], 2,
        progress=lambda fraction, message=None, **_: seen.append((fraction, message)),
    )  # fmt: skip

    fits = report.folds + 1
    for name in METHODS:
        shown = name.replace("_", " ")
        counts = [message for _, message in seen if message.startswith(f"Cross-validating {shown}")]
        assert counts == [f"Cross-validating {shown}"] + [
            f"Cross-validating {shown}: {done}/{fits} fits" for done in range(1, report.folds + 1)
        ]
    fractions = [fraction for fraction, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] >= 0 and fractions[-1] < 1


@pytest.mark.parametrize("accepted", [0, 2])
def test_fine_tuning_reports_each_optimizer_step(accepted: int) -> None:
    # given a tiny encoder fine-tuned for 3 steps per fit on 8 colour images, the last
    # ``accepted`` labels accepted predictions
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (8, 3, 8, 8), dtype=np.uint8)
    labels = np.arange(8) % 2
    torch.manual_seed(0)
    inputs = FineTuneInputs(
        encoder=build_encoder(TINY_ENCODER), images=images,
        config=FineTuneConfig(steps=3, batch_size=4, warmup_steps=1),
    )  # fmt: skip
    seen: list[str] = []
    # when it is cross-validated
    report = train_best_classifier(
        np.zeros((8, 2), np.float32), np.arange(8), labels, 2, methods=["fine_tune"],
        fine_tune_inputs=inputs, scored=np.arange(8) < 8 - accepted,
        progress=lambda fraction, message=None, **_: seen.append(message),
    )  # fmt: skip
    # then every step of every fold, of the model of the people's labels alone (with
    # accepted ones) and of the final fit on all labels is counted
    total = (report.folds + 1 + (accepted > 0)) * 3
    assert seen == ["Cross-validating fine tune"] + [
        f"Cross-validating fine tune: {done}/{total} optimizer steps"
        for done in range(1, total + 1)
    ]


def test_accepted_predictions_do_not_leak_the_held_out_labels() -> None:
    # given 40 labels a person gave that the features cannot predict (coin flips), and for
    # each, 5 near copies whose accepted prediction is that label: the answers of a model
    # that had seen every one of them
    rng = np.random.default_rng(0)
    people = rng.normal(size=(40, 64))
    given = rng.integers(0, 2, 40)
    copies = np.repeat(people, 5, axis=0) + rng.normal(0, 0.01, (200, 64))
    features = np.concatenate([people, copies]).astype(np.float32)
    labels = np.concatenate([given, np.repeat(given, 5)])
    by_person = np.arange(240) < 40
    # when the classifier is cross-validated on the people's labels with the accepted ones
    report = train_best_classifier(features, np.arange(240), labels, 2, scored=by_person)
    # then no fold trained on a copy of its held-out labels: the estimate stays near chance
    # (with the copies in every fold's training it was 1.0, 1.0 and 0.875)
    assert max(report.cross_validated_accuracy.values()) < 0.75
