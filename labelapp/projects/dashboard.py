"""The numbers on a project's dashboard, each computed with one aggregate query, and the
one next step they point to (labelapp.projects.next_step)."""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count
from django.utils.http import urlencode

from labelapp.images.label_sources import HUMAN_SOURCES, person_label_counts
from labelapp.images.labeling import predicted_per_class, unpredicted_count
from labelapp.images.models import Image, Label, LabelSource
from labelapp.insights.quality import estimate_wait, least_sure_apart
from labelapp.jobs.models import Job, JobKind, JobStatus
from labelapp.learning.job_options import METHOD_NAMES
from labelapp.learning.models import ModelVersion
from labelapp.projects.models import EncoderStart, LabelClass, Project
from labelapp.projects.next_step import LABELS_PER_CLASS, NextStep, ProjectState, next_step

# What each job button does, in the words the button's help gives.
JOB_BUTTONS = [
    (JobKind.RETRAIN, "Train and predict",
     "Train a classifier on the labels, predict every image, refresh Label next"),
    (JobKind.TRAIN, "Train only",
     "Train and measure a classifier; predictions stay from the previous one"),
    (JobKind.PREDICT, "Predict again",
     "Show the newest classifier's predictions (after Train only); it becomes the current one"),
    (JobKind.PRETRAIN, "Pretrain (optional)",
     "Continue self-supervised SimCLR training on these images; slow"),
]  # fmt: skip
# The pretraining presets' epochs (simclr_core.ssl.pretrain_config; a test keeps them equal). On
# an accelerator, a job without chosen epochs trains about 10 minutes, at most the preset.
PRESET_EPOCHS = {"cpu": 60, "accelerator": 500}
# SimCLR continued from ImageNet: one epoch per 3,000 photos on a CPU, 30 on an accelerator.
CONTINUATION_IMAGES_PER_CPU_EPOCH = 3000
CONTINUATION_EPOCHS_ON_ACCELERATOR = 30


@dataclass(frozen=True)
class ClassCount:
    label_class: LabelClass
    count: int
    percent: float  # share of the labeled images, for the bar width
    by_person: int  # of ``count``, labels a person gave (the rest: accepted predictions)


@dataclass(frozen=True)
class JobButton:
    kind: str
    title: str
    help: str


@dataclass(frozen=True)
class Summary:
    images: int
    labeled: int
    classes: list[ClassCount] = field(default_factory=list)

    @property
    def unlabeled(self) -> int:
        return self.images - self.labeled

    @property
    def labeled_percent(self) -> float:
        return 100.0 * self.labeled / self.images if self.images else 0.0


def summarize(project: Project) -> Summary:
    per_class: dict[int | None, int] = dict(
        Image.objects.filter(project=project)
        .values_list("current_label_id")
        .annotate(count=Count("id"))
        .values_list("current_label_id", "count")
    )
    total = sum(per_class.values())
    labeled = total - per_class.get(None, 0)
    by_person = person_label_counts(project.pk)
    classes = [
        ClassCount(
            label_class,
            per_class.get(label_class.pk, 0),
            100.0 * per_class.get(label_class.pk, 0) / labeled if labeled else 0.0,
            by_person[label_class.pk],
        )
        for label_class in project.classes.all()
    ]
    return Summary(images=total, labeled=labeled, classes=classes)


@dataclass(frozen=True)
class Guidance:
    """What to do next, and what each job button and field means."""

    next_step: NextStep
    job_buttons: list[JobButton]
    preset_epochs: str  # what a blank epochs field means, for its placeholder
    label_query: str = "status=unlabeled"  # the labeling page's filter for a "label" step


def guide(project: Project, summary: Summary) -> Guidance:
    state = project_state(project, summary)
    step = next_step(state)
    query = {"status": "unlabeled"}
    found = project.classes.filter(name=step.find_class).first() if step.find_class else None
    if found is not None:
        query["predicted"] = str(found.pk)
    return Guidance(step, job_buttons(state), preset_epochs(project), urlencode(query))


def job_buttons(state: ProjectState) -> list[JobButton]:
    """The job buttons; Pretrain is optional except where it must come first."""
    buttons = [JobButton(*button) for button in JOB_BUTTONS]
    if state.needs_pretraining and not state.has_representations:
        needed = "Learn an encoder from these images (SimCLR): needed first, from nothing"
        buttons[-1] = JobButton(JobKind.PRETRAIN, "Pretrain", needed)
    return buttons


def project_state(project: Project, summary: Summary) -> ProjectState:
    """What :func:`next_step` needs to know about ``project``, whose counts ``summary`` has."""
    classifier, encoder = project.current_classifier, project.current_encoder
    running = Job.objects.filter(project=project, status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
    metrics = classifier.metrics if classifier else {}
    per_class = {row.label_class.name: row.by_person for row in summary.classes}
    # where the model can find a class short of labels: asked only while one is short
    short = classifier is not None and min(per_class.values(), default=0) < LABELS_PER_CLASS
    predicted = predicted_per_class(project) if short else {}
    return ProjectState(
        images=summary.images,
        human_labels_per_class=per_class,
        labels_since_model=_labels_since(project, classifier, HUMAN_SOURCES),
        accepted_since_model=_labels_since(project, classifier, (LabelSource.PREDICTION,)),
        predicted_classes=frozenset(
            row.label_class.name for row in summary.classes if row.label_class.pk in predicted
        ),
        labels_in_model=int(metrics.get("scored_labels", metrics.get("labels", 0)) or 0),
        has_representations=encoder is not None,
        has_classifier=classifier is not None,
        classifier_on_current_encoder=(
            classifier is not None and classifier.encoder_id == project.current_encoder_id
        ),
        # Projects that start from ImageNet features only need an Embed job.
        needs_pretraining=project.encoder_start != EncoderStart.IMAGENET,
        running_jobs=tuple(running.values_list("kind", flat=True)),
        # The ImageNet backbone as it came (source "imagenet") is not pretrained on these images.
        pretrained=bool(encoder and (encoder.config or {}).get("source") != "imagenet"),
        unpredicted_images=unpredicted_count(project, classifier) if classifier else 0,
        pretrain_tried=Job.objects.filter(
            project=project, kind=JobKind.PRETRAIN, status=JobStatus.SUCCEEDED
        ).exists(),
    )


def _labels_since(
    project: Project, classifier: ModelVersion | None, sources: tuple[str, ...]
) -> int:
    """Images labeled from ``sources`` since the classifier's training job read the labels."""
    if classifier is None:
        return 0
    job = classifier.job
    since = job.started_at if job is not None and job.started_at else classifier.created_at
    return (
        Label.objects.filter(image__project=project, source__in=sources,
                             label_class__isnull=False, created_at__gte=since)
        .values("image_id").distinct().count()
    )  # fmt: skip


def preset_epochs(project: Project) -> str:
    """What a blank epochs field means, for the worker that ran the project's last job."""
    device = (
        Job.objects.filter(project=project).exclude(device="").values_list("device", flat=True)
    ).first()
    if project.encoder_start == EncoderStart.IMAGENET:  # pretrained_continuation_preset
        on_cpu = max(1, round(CONTINUATION_IMAGES_PER_CPU_EPOCH / max(1, project.images.count())))
        if device is None:
            return f"{on_cpu} on a CPU"
        if device.startswith("cpu"):
            return str(on_cpu)
        return f"~10 min, ≤{CONTINUATION_EPOCHS_ON_ACCELERATOR}"
    if device is None:
        return f"{PRESET_EPOCHS['cpu']} on a CPU"
    if device.startswith("cpu"):
        return str(PRESET_EPOCHS["cpu"])
    return f"~10 min, ≤{PRESET_EPOCHS['accelerator']}"


@dataclass(frozen=True)
class Metrics:
    """The current classifier in a few readable lines; the quality page has the details."""

    version: str
    stale: bool  # trained on an encoder that is no longer the project's
    values: list[tuple[str, str]]
    candidates: list[tuple[str, str]]  # (method, cross-validated accuracy) of each candidate


def _percent(value: Any) -> str:
    return f"{100 * float(value):.0f}%" if isinstance(value, int | float) else "—"


def _expected_accuracy(metrics: dict[str, Any], unlabeled_now: int | None) -> list[tuple[str, str]]:
    """The accuracy to expect on the images without a label, or when it will be known.

    Cross-validation scores the labels, which the queue picked (images the model is unsure
    of, rare classes), so it can be far from what the images nobody labeled get; this is
    estimated from the model's calibrated confidence on them (training_process.run_train)."""
    if "unlabeled_images" not in metrics:  # trained before the estimate existed
        return []
    then, accepted = int(metrics["unlabeled_images"]), int(metrics.get("accepted_in_estimate") or 0)
    name = f"Expected accuracy on the {then:,} unlabeled images"
    if accepted:  # trained on accepted predictions: they count among the images estimated
        name = f"Expected accuracy on the {then:,} images no person labeled when it was trained"
        name += f" ({accepted:,} of them accepted predictions)"
    elif unlabeled_now is not None and unlabeled_now != then:  # labeled or added since
        name = f"Expected accuracy on the {then:,} images unlabeled when it was trained"
        name += f" ({unlabeled_now:,} now)"
    if metrics.get("expected_accuracy") is not None:
        value = _percent(metrics["expected_accuracy"])
        bounds = metrics.get("expected_accuracy_range")
        if isinstance(bounds, list) and len(bounds) == 2:
            value += f" (likely {_percent(bounds[0])} to {_percent(bounds[1])})"
        return [(name, value)]
    return [(name, estimate_wait(metrics))]


def _cross_validated(metrics: dict[str, Any], folds: Any) -> list[tuple[str, str]]:
    """Accuracy on the labels by cross-validation; apart for the queue's least-sure picks,
    which are harder than the other images (an estimate of nothing else)."""
    how = f" ({folds}-fold cross-validation)" if folds else ""
    if not least_sure_apart(metrics):
        name = f"Accuracy on those labels{how}" if how else "Accuracy"
        return [(name, _percent(metrics.get("accuracy")))]
    scored, calibrating = int(metrics["scored_labels"]), int(metrics["calibrating_labels"])
    return [
        (
            f"Accuracy on the {calibrating} other labels{how}",
            _percent(metrics.get("calibrating_accuracy")),
        ),
        (
            f"Accuracy on the {scored - calibrating} least-sure picks",
            _percent(metrics.get("least_sure_accuracy")),
        ),
    ]


def latest_metrics(project: Project, unlabeled_now: int | None = None) -> Metrics | None:
    """The current classifier's panel; ``unlabeled_now`` (the images without a label now)
    lets the expected accuracy say when it is about images that have a label since."""
    classifier = project.current_classifier
    if classifier is None:
        return None
    metrics = classifier.metrics
    method = str(metrics.get("method", ""))
    folds = metrics.get("folds")
    trained, scored = metrics.get("labels", "?"), metrics.get("scored_labels")
    scored_text = f"{scored} labels a person gave" if scored is not None else "every label"
    if isinstance(trained, int) and isinstance(scored, int) and trained > scored:
        accepted = trained - scored
        scored_text += (
            f", by the same method trained on them alone (not on the {accepted} accepted)"
        )
    values = [
        ("Method", METHOD_NAMES.get(method, method) or "—"),
        *_expected_accuracy(metrics, unlabeled_now),
        ("Trained on", f"{trained} labels"),
        ("Scored on", scored_text),
        *_cross_validated(metrics, folds),
    ]
    error = metrics.get("expected_calibration_error")
    if isinstance(error, int | float):
        values.append(("Calibration error (ECE)", f"{float(error):.2f}"))
    # in the order auto tries them: it keeps the first unless another is clearly better
    order = list(METHOD_NAMES)
    candidates = [
        (METHOD_NAMES.get(name, name), _percent(accuracy))
        for name, accuracy in sorted(
            (metrics.get("cross_validated_accuracy") or {}).items(),
            key=lambda item: order.index(item[0]) if item[0] in order else len(order),
        )
    ]
    stale = classifier.encoder_id != project.current_encoder_id
    return Metrics(str(classifier), stale, values, candidates)
