"""Request and response shapes of the API (they also make the OpenAPI schema)."""

from datetime import datetime
from typing import Any

from ninja import Field, Schema
from pydantic import field_validator

from labelapp.ids import MAX_ID, DatabaseId
from labelapp.learning.job_options import MAX_EPOCHS, METHODS

MAX_PAGE = 500
MAX_OFFSET = 2**53  # beyond any real collection, and inside every database's integers


class Page(Schema):
    limit: int = Field(50, ge=1, le=MAX_PAGE, description=f"At most {MAX_PAGE}.")
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


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


class ImageOut(Schema):
    id: int
    original_name: str
    width: int
    height: int
    format: str
    label_class: int | None
    label_version: int
    created_at: datetime


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


class ImageDetailOut(ImageOut):
    prediction: PredictionOut | None


class LabelIn(TextInput):
    label_class: DatabaseId | None = Field(
        ..., description="A class id, or null to clear the label."
    )
    expected_version: int = Field(..., ge=0, le=MAX_ID, description="The label_version you saw.")


class ImageVersionIn(Schema):
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
    image: int
    rank: int
    strategy: str
    score: float
    reason: str


class JobIn(TextInput):
    kind: str = Field(..., pattern="^(pretrain|train|predict|retrain|embed)$")
    epochs: int | None = Field(
        None, ge=1, le=MAX_EPOCHS, description="pretraining epochs; the preset when left out"
    )
    method: str | None = Field(
        None,
        pattern="^(" + "|".join(METHODS) + ")$",
        description="classifier for train and retrain; 'auto' (the default) cross-validates "
        "the candidates and keeps the best",
    )


class UploadOut(Schema):
    id: int
    job: int | None
    files: int
    report: list[dict[str, Any]]
    added: int
    duplicates: int
    rejected: int


class Message(Schema):
    detail: str


def paged(items: list[Any], count: int) -> dict[str, Any]:
    return {"count": count, "items": items}
