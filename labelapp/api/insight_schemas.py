"""Response shapes of the insights: quality, label-error suspects, near duplicates, the map."""

from datetime import datetime

from ninja import Field, Schema

from labelapp.api.schemas import LabelClassOut
from labelapp.insights.duplicates import DuplicateImage
from labelapp.insights.label_issues import LabelIssueReport, SuspectedLabel
from labelapp.insights.quality import ConfusionRow, VersionQuality


class ClassAccuracyOut(Schema):
    name: str
    color: str
    accuracy: float | None = Field(..., description="null: no labeled image of this class")


class MethodAccuracyOut(Schema):
    method: str
    accuracy: float


class ConfusionRowOut(Schema):
    """Built from a ConfusionRow: how the labels of one true class were predicted."""

    true_name: str
    counts: list[int] = Field(..., description="one count per predicted class, in class order")
    total: int

    @staticmethod
    def resolve_counts(row: ConfusionRow) -> list[int]:
        return [count for count, _ in row.cells]


class ClassifierQualityOut(Schema):
    """Built from a VersionQuality: figures measured on held-out folds of the labels a
    person gave (accepted predictions may train a version but are never scored)."""

    number: int
    created_at: datetime
    method: str
    label_count: int = Field(..., description="labels a person gave: every figure uses these")
    trained_count: int = Field(..., description="labels it trained on, accepted ones included")
    folds: int
    accuracy: float | None = Field(..., description="cross-validated, on the labels")
    expected_accuracy: float | None = Field(
        ...,
        description="to expect on the images it did not train on; None before 5 labels "
        "per class, or for a version trained before it was estimated",
    )
    expected_range: tuple[float, float] | None = Field(
        ..., description="5th and 95th percentiles of expected_accuracy over bootstraps"
    )
    unlabeled_count: int | None = Field(..., description="the images it did not train on")
    calibration_error: float | None
    method_accuracies: list[MethodAccuracyOut]
    per_class: list[ClassAccuracyOut]
    class_names: list[str]
    confusion: list[ConfusionRowOut]
    is_current: bool

    @staticmethod
    def resolve_method_accuracies(quality: VersionQuality) -> list[dict[str, float | str]]:
        return [{"method": m, "accuracy": a} for m, a in quality.method_accuracies]


class SuspectedLabelOut(Schema):
    """Built from a SuspectedLabel."""

    image: int
    name: str
    label_version: int
    given_class: int
    suggested_class: int
    given_probability: float
    suggested_probability: float

    @staticmethod
    def resolve_image(suspect: SuspectedLabel) -> int:
        return suspect.image_id

    @staticmethod
    def resolve_given_class(suspect: SuspectedLabel) -> int:
        return suspect.given.pk

    @staticmethod
    def resolve_suggested_class(suspect: SuspectedLabel) -> int:
        return suspect.suggested.pk


class LabelErrorsOut(Schema):
    """Built from a LabelIssueReport."""

    classifier_version: int | None = Field(..., description="the number of the classifier")
    reliable: bool = Field(..., description="false: the classifier is too weak to accuse labels")
    reason: str = Field(..., description="why it is (or is not) reliable, or what is missing")
    checked: int = Field(..., description="labels a person gave: the ones checked")
    not_checked: int = Field(..., description="labels a model gave (accepted predictions)")
    total: int = Field(..., description="suspects found; at most 200 are listed")
    suspects: list[SuspectedLabelOut]

    @staticmethod
    def resolve_classifier_version(report: LabelIssueReport) -> int | None:
        return report.version.number if report.version else None

    @staticmethod
    def resolve_reliable(report: LabelIssueReport) -> bool:
        return bool(report.assessment and report.assessment.reliable)

    @staticmethod
    def resolve_reason(report: LabelIssueReport) -> str:
        return report.problem or (report.assessment.reason if report.assessment else "")


class DuplicateImageOut(Schema):
    """Built from a DuplicateImage."""

    image: int
    name: str
    label_name: str

    @staticmethod
    def resolve_image(image: DuplicateImage) -> int:
        return image.image_id


class DuplicateGroupOut(Schema):
    images: list[DuplicateImageOut] = Field(..., description="the first 24 of the group")
    size: int
    duplicates: bool = Field(
        ..., description="all linked by their pixels, or as near-identical by a calibrated encoder"
    )


class DuplicatesOut(Schema):
    threshold: float
    group_count: int
    image_count: int = Field(..., description="images searched")
    problem: str
    complete_above: float = Field(..., description="below this similarity some pairs are missed")
    calibrated: bool
    not_searched: int = Field(..., description="images added since the search")
    not_compared: int = Field(
        ..., description="searched images not compared pixel by pixel (representations only)"
    )
    groups: list[DuplicateGroupOut] = Field(..., description="the first 100 groups")


class MapOut(Schema):
    """Every embedded image as a point of a 2-D projection, in parallel arrays."""

    classes: list[LabelClassOut]
    ids: list[int]
    x: list[float]
    y: list[float]
    label: list[int] = Field(..., description="index into classes; -1: unlabeled")
    predicted: list[int] = Field(..., description="index into classes; -1: no prediction")
    versions: list[int] = Field(..., description="each image's label_version")
    not_embedded: int = Field(..., description="images without representations yet")
    problem: str
