"""How good each classifier version is, honestly: numbers measured on held-out folds.

Every figure comes from the version's stored metrics, which the training job computed
from out-of-fold predictions on the labeled images (never from images the model saw), and
only on the labels a person gave: accepted predictions may train a version but are never
scored as truth.
"""

from dataclasses import dataclass
from typing import Any

from labelapp.images.labeling import predicted_per_class
from labelapp.learning.models import ModelKind, ModelVersion
from labelapp.projects.models import Project


@dataclass(frozen=True)
class ClassAccuracy:
    name: str
    color: str
    accuracy: float | None  # None: no labeled image of this class
    right: int | None = None  # of ``count`` scored labels of the class (from the confusion)
    count: int | None = None
    class_id: int | None = None
    # the current version only: unlabeled images it predicts as the class
    taken: int | None = None


@dataclass(frozen=True)
class ConfusionRow:
    true_name: str
    cells: list[tuple[int, bool]]  # (count, on the diagonal)
    total: int


@dataclass(frozen=True)
class VersionQuality:
    number: int
    created_at: Any
    method: str
    label_count: int  # the labels a person gave: every figure is measured on these
    trained_count: int  # the labels it trained on, accepted predictions included
    scored_all: bool  # trained before accepted predictions were left out of the scoring
    folds: int
    accuracy: float | None
    expected_accuracy: float | None  # on the images it did not train on (run_train)
    expected_range: tuple[float, float] | None  # its 5th and 95th bootstrap percentiles
    unlabeled_count: int | None  # the images the estimate is over: no person labeled them
    accepted_in_estimate: int  # of those, accepted predictions (it trained on them)
    estimate_wait: str  # when the expected accuracy will be known, while it is not
    # cross-validated on the labels that are not least-sure picks, and on those, when some are
    least_sure_apart: bool
    calibrating_accuracy: float | None
    calibrating_count: int
    least_sure_accuracy: float | None
    calibration_error: float | None
    method_accuracies: list[tuple[str, float]]
    per_class: list[ClassAccuracy]
    class_names: list[str]
    confusion: list[ConfusionRow]
    is_current: bool

    @property
    def model_sourced_count(self) -> int:
        """Labels it trained on that a model gave (accepted predictions), never scored."""
        return max(self.trained_count - self.label_count, 0)

    @property
    def least_sure_count(self) -> int:
        return self.label_count - self.calibrating_count

    @property
    def estimate(self) -> tuple[float, bool, str] | None:
        """The best accuracy figure it has, whether it is the one expected on the unlabeled
        images, and what it measures (for the learning curve)."""
        if self.expected_accuracy is not None:
            return self.expected_accuracy, True, "expected on the images no person labeled"
        if self.calibrating_accuracy is not None:
            basis = (
                f"cross-validated on the {self.calibrating_count} labels not picked as least sure"
            )
            return self.calibrating_accuracy, False, basis
        if self.accuracy is not None:
            return self.accuracy, False, "cross-validated on the labels"
        return None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _pair(value: Any) -> tuple[float, float] | None:
    if not isinstance(value, list) or len(value) != 2:
        return None
    low, high = _number(value[0]), _number(value[1])
    return None if low is None or high is None else (low, high)


def _int_or_none(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


def _class_colors(project: Project, class_ids: list[Any]) -> dict[Any, str]:
    numeric = [class_id for class_id in class_ids if isinstance(class_id, int)]
    colors = dict(project.classes.filter(pk__in=numeric).values_list("pk", "color"))
    return {class_id: colors.get(class_id, "#8c959f") for class_id in class_ids}


def _confusion_rows(matrix: Any, names: list[str]) -> list[ConfusionRow]:
    if not isinstance(matrix, list) or len(matrix) != len(names):
        return []
    rows = []
    for true_index, counts in enumerate(matrix):
        if not isinstance(counts, list) or len(counts) != len(names):
            return []
        cells = [(int(count), true_index == index) for index, count in enumerate(counts)]
        rows.append(ConfusionRow(names[true_index], cells, sum(count for count, _ in cells)))
    return rows


def least_sure_apart(metrics: dict[str, Any]) -> bool:
    """Whether a train job's metrics score some labels of least-sure picks apart (then its
    "calibrating_accuracy" leaves them out; see labelapp/images/label_sources.py)."""
    calibrating = _number(metrics.get("calibrating_labels"))
    scored = _number(metrics.get("scored_labels"))
    return calibrating is not None and scored is not None and calibrating < scored


def estimate_wait(metrics: dict[str, Any]) -> str:
    """When the expected accuracy will be known, from a train job's metrics: the labels it
    needs, counting only those that calibrate it (a person's, not picked as the model's
    least sure images: labelapp/images/label_sources.py)."""
    needed = int(metrics.get("labels_for_estimate") or 0)
    scored = int(metrics.get("scored_labels") or 0)
    calibrating = int(metrics.get("calibrating_labels", scored) or 0)
    if metrics.get("unlabeled_images") == 0:
        return "nothing to estimate: every image has a label"
    if calibrating >= needed:  # enough labels, yet no estimate: nothing says why
        return "not estimated for this model: train again"
    if not least_sure_apart(metrics):
        return f"known at {needed} labels; it had {calibrating} when the model was trained"
    return (
        f"known at {needed} labels that are not least-sure picks; it had {calibrating} when the "
        f"model was trained (and {scored - calibrating} the queue offered as the model's least "
        "sure, usually harder than the rest, which do not count)"
    )


def unknown_right_reason(metrics: dict[str, Any]) -> str:
    """Why the accept page cannot say how many predictions are likely right (a train job's
    metrics without "calibration_map")."""
    if metrics.get("expected_accuracy") is None:
        return f"like the dashboard's expected accuracy, it is {estimate_wait(metrics)}"
    if int(_number(metrics.get("labels")) or 0) > int(_number(metrics.get("scored_labels")) or 0):
        return "this model also trained on accepted predictions, which its calibration leaves out"
    return "this model was trained by an older version of the app: train again"


def describe_version(
    version: ModelVersion,
    colors: dict[Any, str],
    current_id: int | None,
    taken: dict[int, int] | None = None,
) -> VersionQuality:
    """``taken``: for the current version, the unlabeled images it predicts as each class."""
    config, metrics = version.config or {}, version.metrics or {}
    trained_count = int(_number(metrics.get("labels")) or 0)
    class_ids = list(config.get("classes") or [])
    names = [str(name) for name in config.get("class_names") or []]
    if len(names) != len(class_ids):
        names = [f"class {index + 1}" for index in range(len(class_ids))]
    per_class_values = metrics.get("per_class_accuracy") or []
    confusion = _confusion_rows(metrics.get("confusion_matrix"), names)
    # how many labels each figure rests on: 2 of 5 is no 0.400 to three decimals
    counts: list[tuple[int | None, int | None]] = [
        (row.cells[index][0], row.total) for index, row in enumerate(confusion)
    ] or [(None, None)] * len(names)
    per_class = [
        ClassAccuracy(
            name,
            colors.get(class_id, "#8c959f"),
            _number(value),
            right,
            count,
            class_id,
            None if taken is None else taken.get(class_id, 0),
        )
        for name, class_id, value, (right, count) in zip(
            names, class_ids, per_class_values, counts, strict=False
        )
    ]
    method_accuracies = sorted(
        (str(method).replace("_", " "), float(value))
        for method, value in (metrics.get("cross_validated_accuracy") or {}).items()
        if _number(value) is not None
    )
    apart = least_sure_apart(metrics)
    return VersionQuality(
        number=version.number,
        created_at=version.created_at,
        method=str(metrics.get("method") or config.get("method") or "").replace("_", " "),
        label_count=int(_number(metrics.get("scored_labels", trained_count)) or 0),
        trained_count=trained_count,
        scored_all="scored_labels" not in metrics,
        folds=int(_number(metrics.get("folds")) or 0),
        accuracy=_number(metrics.get("accuracy")),
        expected_accuracy=_number(metrics.get("expected_accuracy")),
        expected_range=_pair(metrics.get("expected_accuracy_range")),
        unlabeled_count=_int_or_none(metrics.get("unlabeled_images")),
        accepted_in_estimate=int(_number(metrics.get("accepted_in_estimate")) or 0),
        estimate_wait=estimate_wait(metrics),
        least_sure_apart=apart,
        calibrating_accuracy=_number(metrics.get("calibrating_accuracy")) if apart else None,
        calibrating_count=int(_number(metrics.get("calibrating_labels")) or 0),
        least_sure_accuracy=_number(metrics.get("least_sure_accuracy")) if apart else None,
        calibration_error=_number(metrics.get("expected_calibration_error")),
        method_accuracies=method_accuracies,
        per_class=per_class,
        class_names=names,
        confusion=confusion,
        is_current=version.pk == current_id,
    )


def describe_classifiers(project: Project) -> list[VersionQuality]:
    """Every classifier version of the project, newest first."""
    versions = list(
        ModelVersion.objects.filter(project=project, kind=ModelKind.CLASSIFIER).order_by("-number")
    )
    class_ids = {
        class_id for version in versions for class_id in (version.config or {}).get("classes") or []
    }
    colors = _class_colors(project, list(class_ids))
    current = project.current_classifier_id
    taken = predicted_per_class(project) if current is not None else {}
    return [
        describe_version(version, colors, current, taken if version.pk == current else None)
        for version in versions
    ]
