"""The numbers on a project's dashboard, each computed with one aggregate query."""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count

from labelapp.images.models import Image
from labelapp.learning.job_options import METHOD_NAMES
from labelapp.projects.models import LabelClass, Project


@dataclass(frozen=True)
class ClassCount:
    label_class: LabelClass
    count: int
    percent: float  # share of the labeled images, for the bar width


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
    classes = [
        ClassCount(
            label_class,
            per_class.get(label_class.pk, 0),
            100.0 * per_class.get(label_class.pk, 0) / labeled if labeled else 0.0,
        )
        for label_class in project.classes.all()
    ]
    return Summary(images=total, labeled=labeled, classes=classes)


@dataclass(frozen=True)
class Metrics:
    """The current classifier in a few readable lines; the quality page has the details."""

    version: str
    values: list[tuple[str, str]]
    candidates: list[tuple[str, str]]  # (method, cross-validated accuracy) of each candidate


def _percent(value: Any) -> str:
    return f"{100 * float(value):.0f}%" if isinstance(value, int | float) else "—"


def latest_metrics(project: Project) -> Metrics | None:
    classifier = project.current_classifier
    if classifier is None:
        return None
    metrics = classifier.metrics
    method = str(metrics.get("method", ""))
    folds = metrics.get("folds")
    values = [
        ("Method", METHOD_NAMES.get(method, method) or "—"),
        ("Trained on", f"{metrics.get('labels', '?')} labels"),
        (
            f"Accuracy ({folds}-fold cross-validation)" if folds else "Accuracy",
            _percent(metrics.get("accuracy")),
        ),
    ]
    error = metrics.get("expected_calibration_error")
    if isinstance(error, int | float):
        values.append(("Calibration error (ECE)", f"{float(error):.2f}"))
    candidates = [
        (METHOD_NAMES.get(name, name), _percent(accuracy))
        for name, accuracy in sorted((metrics.get("cross_validated_accuracy") or {}).items())
    ]
    return Metrics(version=str(classifier), values=values, candidates=candidates)
