"""The one thing to do next on a project, and why: a pure function of a few counts.

The dashboard shows its answer as the primary action. Rules are checked in order; the first
that applies wins. To add a step, add a field to :class:`ProjectState` and a rule.
"""

from dataclasses import dataclass, field

from labelapp.jobs.models import JobKind

LABELS_PER_CLASS = 2  # cross-validation needs two labels a person gave in each class
LEARNING_JOBS: dict[str, str] = {
    JobKind.PRETRAIN: "Pretraining",
    JobKind.EMBED: "Computing representations",
    JobKind.TRAIN: "Training",
    JobKind.RETRAIN: "Training",
    JobKind.PREDICT: "Predicting",
}
# benchmarks/real_photos.py --starts simclr, sign-language digit photos, one CPU epoch, the
# app's picks and classifier, 5 seeds, against the frozen backbone: 50.4 -> 59.3% at 1 label
# per class, 65.8 -> 67.5% at 2, 77.0 -> 76.5% at 5, 90.2 -> 88.4% at 20. (An earlier run
# without the flip average, 3 seeds, had shown +5 to 7 points at 2 to 5.)
# A trust review's one run on 784 of those photos, unbalanced (26% ... 4%), 12 labels per
# class: 78.5 -> 84.8% on the 446 unlabeled images, 85.4 -> 89.6% on the 664 no person labeled.
PRETRAIN_GAIN = (
    "on 2,062 real photos it added 9 points of accuracy at 1 label per class, 2 at 2 and "
    "nothing from 5 on; on 784 unbalanced ones, in one run, 4 to 6 points at 12"
)
PRETRAIN_HELPS_BELOW = 5  # labels per class a person gave, on average
OPTIONAL_PRETRAIN = (
    "Optional: Pretrain adapts the encoder to your own images with self-supervised (SimCLR) "
    f"training; {PRETRAIN_GAIN}. It takes a while, and its result says what it changed."
)


@dataclass(frozen=True)
class ProjectState:
    images: int
    human_labels_per_class: dict[str, int]  # class name -> labels a person gave, in order
    labels_since_model: int  # labels a person gave since the current classifier's training
    labels_in_model: int  # labels a person gave that the current classifier was scored on
    has_representations: bool  # an encoder has described every image
    has_classifier: bool
    classifier_on_current_encoder: bool
    needs_pretraining: bool = False  # the encoder starts from random weights, not ImageNet
    running_jobs: tuple[str, ...] = ()  # kinds of the queued and running jobs
    pretrained: bool = False  # the current encoder was pretrained on this project's images
    pretrain_tried: bool = False  # a Pretrain job of this project has finished
    accepted_since_model: int = 0  # predictions accepted as labels since the classifier's training
    # names of the classes the current classifier predicts for some unlabeled image
    predicted_classes: frozenset[str] = frozenset()
    unpredicted_images: int = 0  # images the current classifier has no prediction for


@dataclass(frozen=True)
class NextStep:
    title: str  # the button's words
    reason: str  # one sentence: why this, now
    job_kind: str = ""  # the job the button starts, or "" for a link
    link: str = ""  # "upload", "label" or "queue": a page to open instead of a job
    notes: list[str] = field(default_factory=list)  # optional extras, said after the reason
    # with link "label": the class whose likeliest unlabeled images the link shows, surest first
    find_class: str = ""


def labels_worth_retraining(labels_in_model: int) -> int:
    """New labels enough to move the estimate: 5, or a fifth more, up to 20."""
    return max(5, min(20, labels_in_model // 5))


def worth_retraining(new_labels: int, labels_in_model: int) -> bool:
    return new_labels >= labels_worth_retraining(labels_in_model)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def next_step(state: ProjectState) -> NextStep:
    """The primary action for ``state`` (see the module docstring)."""
    if state.images == 0:
        return NextStep("Upload images", "A project starts with its pictures.", link="upload")
    if JobKind.IMPORT in state.running_jobs:
        return NextStep(
            "Wait for the import", "Images are being imported: see Jobs below.", link="label"
        )
    running = [LEARNING_JOBS[kind] for kind in state.running_jobs if kind in LEARNING_JOBS]
    if running:
        return NextStep(
            "Keep labeling",
            f"{running[0]} is running (see Jobs below); "
            "labels you give meanwhile count in the next model.",
            link="label",
        )
    if not state.has_representations:
        if state.needs_pretraining:
            return NextStep(
                "Pretrain",
                "The encoder starts from nothing: it must first learn "
                f"from your {_plural(state.images, 'image')}.",
                job_kind=JobKind.PRETRAIN,
            )
        return NextStep(
            "Compute representations",
            "The encoder has not described your images yet (this runs by itself after an import).",
            job_kind=JobKind.EMBED,
        )
    notes = [] if state.pretrained else [OPTIONAL_PRETRAIN]
    missing = {
        name: count
        for name, count in state.human_labels_per_class.items()
        if count < LABELS_PER_CLASS
    }
    if missing:
        names = ", ".join(list(missing)[:4]) + (" …" if len(missing) > 4 else "")
        checked = (
            "the classifier knows every class and cross-validation can check each"
            if state.has_classifier
            else "a classifier can be trained and checked"
        )
        reason = f"Still short: {names}. With {LABELS_PER_CLASS} of each, {checked}."
        # a class the model predicts can be looked for among its predictions: in a rare class
        # (4% of 784 photos, 1 label) 3 of the 5 surest were of it, 1 in 25 by chance
        findable = [name for name in missing if name in state.predicted_classes]
        if findable:
            reason += f" It opens on the images the model takes for {findable[0]}, surest first."
        return NextStep(
            f"Label {LABELS_PER_CLASS} images of each class",
            reason,
            link="label",
            notes=notes,
            find_class=findable[0] if findable else "",
        )
    if not state.has_classifier:
        total = sum(state.human_labels_per_class.values())
        return NextStep(
            "Train",
            f"Every class has labels ({_plural(total, 'label')}): train the first classifier.",
            job_kind=JobKind.RETRAIN,
            notes=notes,
        )
    if not state.classifier_on_current_encoder:
        return NextStep(
            "Retrain",
            "The encoder changed: retrain, so the classifier uses the new representations.",
            job_kind=JobKind.RETRAIN,
            notes=notes,
        )
    if state.unpredicted_images:  # added since; an Embed job queues this by itself
        return NextStep(
            "Train",
            f"{_plural(state.unpredicted_images, 'image')} came after the current classifier and "
            "have no prediction yet: train again to predict them.",
            job_kind=JobKind.RETRAIN,
            notes=notes,
        )
    if worth_retraining(state.labels_since_model, state.labels_in_model):
        return NextStep(
            "Train",
            f"Train: {_plural(state.labels_since_model, 'new label')} since the last model.",
            job_kind=JobKind.RETRAIN,
            notes=notes,
        )
    labels_per_class = sum(state.human_labels_per_class.values()) / max(
        1, len(state.human_labels_per_class)
    )
    if not (state.pretrained or state.pretrain_tried) and labels_per_class < PRETRAIN_HELPS_BELOW:
        return NextStep(
            "Pretrain",
            "Adapt the encoder to your photos (self-supervised SimCLR training): "
            f"{PRETRAIN_GAIN}. Keep labeling meanwhile; the new encoder is kept only if it "
            "does not score worse on your labels.",
            job_kind="pretrain",
        )
    if state.labels_since_model:
        needed = labels_worth_retraining(state.labels_in_model)
        return NextStep(
            "Label next",
            f"{_plural(state.labels_since_model, 'new label')} since the last model; training "
            f"again pays from {needed}: label the images it picked as most useful.",
            link="queue",
            notes=notes,
        )
    if state.accepted_since_model:
        # a person's labels decide when to train: accepted predictions are the model's own
        # answers (one real-photo run: 1,040 accepted, 61.4% after training on them, 62.9% before)
        return NextStep(
            "Label next",
            f"The model has not trained on the {_plural(state.accepted_since_model, 'prediction')} "
            "you accepted since; they are its own answers, so they teach it little: label the "
            "images it picked as most useful, then train again.",
            link="queue",
            notes=notes,
        )
    return NextStep(
        "Label next",
        "The model is up to date: label the images it picked as most useful, then train again.",
        link="queue",
        notes=notes,
    )
