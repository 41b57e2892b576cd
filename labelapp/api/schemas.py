"""Request and response shapes of the API (they also make the OpenAPI schema)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from ninja import Field, Schema
from pydantic import field_validator

from labelapp.ids import MAX_ID, DatabaseId
from labelapp.images.label_sources import check_picked_by
from labelapp.images.models import Image, UploadBatch
from labelapp.jobs.schemas import JobOut
from labelapp.learning.job_options import MAX_EPOCHS, METHODS, USER_JOB_KINDS
from labelapp.learning.models import Prediction, QueueItem
from simclr_core.curation.strategies import STRATEGY_NAMES, UNCERTAINTY_MEASURES

MAX_PAGE = 500
MAX_OFFSET = 2**53  # beyond any real collection, and inside every database's integers
Row = TypeVar("Row")


@dataclass(frozen=True)
class Paged(Generic[Row]):
    """One page of rows (model objects) and the count of all: an endpoint returns it, and
    its ``*Page`` schema turns each row into the row's schema (the ``resolve_`` methods run
    on the model object, once)."""

    count: int
    items: list[Row]


class Page(Schema):
    limit: int = Field(50, ge=1, le=MAX_PAGE, description=f"At most {MAX_PAGE}.")
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class ImageListQuery(Page):
    """The images list's filters, those of the labeling page, documented here; they are read
    and checked by labelapp/projects/image_filters.py (422 with a message when malformed)."""

    status: str = Field(
        "", description="'labeled', 'unlabeled', or 'accepted' (labels that are accepted "
        "predictions, which nobody checked)"
    )  # fmt: skip
    label: str = Field("", description="a class id: the images labeled with it")
    predicted: str = Field("", description="a class id: the images predicted as it")
    min_confidence: str = Field("", description="0 to 1: predictions at least this confident")
    max_confidence: str = Field("", description="0 to 1: predictions at most this confident")
    disagree: str = Field(
        "",
        description="1: labeled images whose current prediction differs from the label (a "
        "model seldom disagrees with a label it trained on: GET .../label-errors checks labels "
        "with models that never saw them)",
    )


class TextInput(Schema):
    """Base of request bodies: no text field may hold a NUL character, which databases
    refuse (PostgreSQL) or silently truncate at."""

    @field_validator("*", mode="after")
    @classmethod
    def refuse_nul_characters(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


class LabelClassOut(Schema):
    id: int
    name: str
    color: str
    key: str


class ProjectOut(Schema):
    id: int
    name: str
    description: str
    role: str
    created_at: datetime


class ProjectDetailOut(ProjectOut):
    classes: list[LabelClassOut]
    images: int
    labeled: int


class ClassIn(TextInput):
    name: str = Field(..., min_length=1, max_length=100)
    color: str = Field("", pattern=r"^(#[0-9a-fA-F]{6})?$")
    key: str = Field("", max_length=1)


class ProjectIn(TextInput):
    name: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    classes: list[ClassIn] = Field(..., min_length=1, max_length=50)


class ProjectPage(Schema):
    count: int
    items: list[ProjectOut]


class ImageOut(Schema):
    """Built from an Image row."""

    id: int
    original_name: str
    width: int
    height: int
    format: str
    label_class: int | None
    label_version: int
    created_at: datetime

    @staticmethod
    def resolve_label_class(image: Image) -> int | None:
        return image.current_label_id


class ImagePage(Schema):
    count: int
    items: list[ImageOut]


class PredictionOut(Schema):
    image: int
    model_version: int = Field(..., description="The classifier's id (as in job results).")
    model_version_number: int = Field(
        ..., description="The classifier's number: the N of 'Classifier vN' on the pages."
    )
    predicted_class: int
    confidence: float
    margin: float
    entropy: float
    probabilities: dict[str, float]

    @staticmethod
    def resolve_image(prediction: Prediction) -> int:
        return prediction.image_id

    @staticmethod
    def resolve_model_version(prediction: Prediction) -> int:
        return prediction.model_version_id

    @staticmethod
    def resolve_model_version_number(prediction: Prediction) -> int:
        return prediction.model_version.number

    @staticmethod
    def resolve_predicted_class(prediction: Prediction) -> int:
        return prediction.predicted_class_id


class PredictionPage(Schema):
    count: int
    items: list[PredictionOut]


class ImageDetailOut(ImageOut):
    """Built from an Image row; the prediction is the current classifier's."""

    prediction: PredictionOut | None

    @staticmethod
    def resolve_prediction(image: Image) -> Prediction | None:
        return (
            Prediction.objects.filter(
                image=image, model_version_id=image.project.current_classifier_id
            )
            .select_related("model_version")
            .first()
        )


LEAST_SURE_HELP = (
    f"labels of images offered as least sure ({', '.join(UNCERTAINTY_MEASURES)}) are scored, "
    "but do not calibrate the accuracy expected on the unlabeled images"
)
PICKED_BY_HELP = (
    "the strategy of the queue item that offered you this image (see the queue's items), "
    "or empty if you chose it yourself; left out, the strategy of the image's queue item "
    f"when the label is saved, if it is queued: {LEAST_SURE_HELP}"
)


class PickedByIn(Schema):
    picked_by: str | None = Field(None, max_length=40, description=PICKED_BY_HELP)

    @field_validator("picked_by")
    @classmethod
    def known_strategy(cls, value: str | None) -> str | None:
        return value if value is None else check_picked_by(value)


class LabelIn(TextInput, PickedByIn):
    label_class: DatabaseId | None = Field(
        ..., description="A class id, or null to clear the label."
    )
    expected_version: int = Field(..., ge=0, le=MAX_ID, description="The label_version you saw.")


class ImageVersionIn(PickedByIn):
    id: DatabaseId
    expected_version: int = Field(..., ge=0, le=MAX_ID)


class LabelsIn(Schema):
    label_class: DatabaseId | None
    images: list[ImageVersionIn] = Field(..., min_length=1, max_length=MAX_PAGE)
    source: str = Field("person", pattern="^(person|prediction)$")


class LabelResult(Schema):
    id: int
    ok: bool
    label_class: int | None
    label_name: str
    label_version: int
    message: str = ""


class LabelsOut(Schema):
    results: list[LabelResult]


class HistoryOut(Schema):
    label_class: int | None
    label_name: str
    user: str
    source: str
    created_at: datetime


class QueueItemOut(Schema):
    """Built from a QueueItem row."""

    image: int
    rank: int
    strategy: str = Field(
        description="the strategy that picked it; the default strategy's picks of the images "
        "the model is least sure of say 'margin'. Send it as picked_by when you label the "
        f"image: {LEAST_SURE_HELP}"
    )
    score: float
    reason: str

    @staticmethod
    def resolve_image(item: QueueItem) -> int:
        return item.image_id


class QueuePage(Schema):
    count: int
    items: list[QueueItemOut]


class QueueIn(Schema):
    strategy: str = Field(
        "default",
        max_length=40,
        description="how to pick: 'default' (typical and diverse, then uncertain once a "
        "classifier predicts), 'typical', 'core_set', 'random', or an uncertainty measure "
        "(least_confidence, margin, entropy: these need the current classifier's predictions "
        "of every image, else 'default' is used)",
    )

    @field_validator("strategy")
    @classmethod
    def known_strategy(cls, value: str) -> str:
        if value not in STRATEGY_NAMES:
            raise ValueError(f"unknown strategy; use one of {', '.join(STRATEGY_NAMES)}")
        return value


class JobIn(TextInput):
    kind: str = Field(..., pattern="^(" + "|".join(USER_JOB_KINDS) + ")$")
    epochs: int | None = Field(
        None, ge=1, le=MAX_EPOCHS, description="pretraining epochs; the preset when left out"
    )
    method: str | None = Field(
        None,
        pattern="^(" + "|".join(METHODS) + ")$",
        description="classifier for train and retrain; 'auto' (the default) cross-validates "
        "the candidates and keeps the best",
    )


class UploadReportEntry(Schema):
    name: str
    status: str = Field(..., description="added, duplicate or rejected")
    message: str


class UploadOut(Schema):
    """Built from an UploadBatch row."""

    id: int
    job: int | None
    files: int
    report: list[UploadReportEntry]
    added: int
    duplicates: int
    rejected: int

    @staticmethod
    def resolve_job(batch: UploadBatch) -> int | None:
        return batch.job_id

    @staticmethod
    def resolve_files(batch: UploadBatch) -> int:
        return len(batch.staged_files)


class JobPage(Schema):
    count: int
    items: list[JobOut]
