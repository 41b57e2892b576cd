"""The numbers on a project's dashboard, each computed with one aggregate query."""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count

from labelapp.images.models import Image
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
    """The current classifier's metrics, split into single numbers and per-class tables."""

    version: str
    values: list[tuple[str, Any]]
    tables: list[tuple[str, list[tuple[str, Any]]]]


def _readable(key: str) -> str:
    return key.replace("_", " ").capitalize()


def latest_metrics(project: Project) -> Metrics | None:
    classifier = project.current_classifier
    if classifier is None:
        return None
    class_names = {str(c.pk): c.name for c in project.classes.all()}
    values: list[tuple[str, Any]] = []
    tables: list[tuple[str, list[tuple[str, Any]]]] = []
    for key, value in sorted(classifier.metrics.items()):
        if isinstance(value, dict):
            rows = [(class_names.get(str(k), str(k)), v) for k, v in value.items()]
            tables.append((_readable(key), rows))
        else:
            values.append((_readable(key), value))
    return Metrics(version=str(classifier), values=values, tables=tables)
