"""The options a person may give a learning job, checked the same way for the page and the API."""

from typing import Any

from labelapp.jobs.models import JobKind
from simclr_core.fewlabel.methods import ALL_METHODS

MAX_EPOCHS = 10_000
# "auto" cross-validates the candidates on the labels and keeps the first (the benchmarks'
# best) unless another is clearly better (classifier_selection.choose_method).
METHODS = ("auto", *ALL_METHODS)
METHOD_NAMES = {
    "auto": "Auto: the benchmarks' best unless another is clearly better",
    "self_training": "Self-training (linear probe + its surest guesses)",
    "linear_probe": "Linear probe",
    "label_propagation": "Label propagation (semi-supervised)",
    "fine_tune": "Fine-tuning the encoder",
}
TRAINING_KINDS = (JobKind.TRAIN, JobKind.RETRAIN)
# The kinds a person starts (imports start themselves; the self-check is the admin's).
USER_JOB_KINDS = (JobKind.PRETRAIN, *TRAINING_KINDS, JobKind.PREDICT, JobKind.EMBED)


def job_options(kind: str, epochs: str | int | None, method: str | None) -> dict[str, Any]:
    """Job params from optional user input; blank means the default.

    Epochs apply to pretraining, the method to training (train and retrain); an option given
    for a job it does not apply to is ignored, so one form can start every job.

    Raises:
        ValueError: with a message for the person who typed it.
    """
    options: dict[str, Any] = {}
    if kind == JobKind.PRETRAIN and epochs not in (None, ""):
        text = str(epochs).strip()
        if not text.isdigit() or not 1 <= int(text) <= MAX_EPOCHS:
            raise ValueError(f"Epochs must be a whole number from 1 to {MAX_EPOCHS}.")
        options["epochs"] = int(text)
    if kind in TRAINING_KINDS and method not in (None, "", "auto"):
        if method not in METHODS:
            raise ValueError(
                "Pick a training method: " + ", ".join(f"{m} ({METHOD_NAMES[m]})" for m in METHODS)
            )
        options["method"] = method
    return options
