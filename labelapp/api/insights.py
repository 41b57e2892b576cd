"""The insights as data: classifier quality, suspected label errors, near-duplicate groups and
the embedding map's coordinates (the same numbers as the insight pages)."""

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from labelapp.api.access import api_role, project_access
from labelapp.api.insight_schemas import (
    ClassifierQualityOut,
    DuplicatesOut,
    LabelErrorsOut,
    MapOut,
)
from labelapp.ids import DatabaseId
from labelapp.insights.duplicates import (
    LOWEST_THRESHOLD,
    DuplicateReport,
    default_threshold,
    find_duplicate_groups,
)
from labelapp.insights.embedding_map import map_points
from labelapp.insights.label_issues import LabelIssueReport, find_suspected_labels
from labelapp.insights.quality import VersionQuality, describe_classifiers

router = Router(tags=["insights"])


class ThresholdQuery(Schema):
    threshold: float | None = Field(
        None,
        ge=LOWEST_THRESHOLD,
        le=1.0,
        description="cosine similarity (default: by encoder)",
    )


@router.get(
    "/projects/{project_id}/quality",
    response=list[ClassifierQualityOut],
    operation_id="classifier_quality",
)
@api_role("viewer")
def classifier_quality(request: HttpRequest, project_id: DatabaseId) -> list[VersionQuality]:
    """Every classifier version, newest first, measured on held-out folds."""
    return describe_classifiers(project_access(request).project)


@router.get(
    "/projects/{project_id}/label-errors", response=LabelErrorsOut, operation_id="label_errors"
)
@api_role("viewer")
def label_errors(request: HttpRequest, project_id: DatabaseId) -> LabelIssueReport:
    """Labels the current classifier disagrees with, most convincing first."""
    return find_suspected_labels(project_access(request).project)


@router.get(
    "/projects/{project_id}/duplicates", response=DuplicatesOut, operation_id="near_duplicates"
)
@api_role("viewer")
def near_duplicates(
    request: HttpRequest, project_id: DatabaseId, query: Query[ThresholdQuery]
) -> DuplicateReport:
    """Groups of images whose pixels match or whose representations are at least
    ``threshold`` similar (cosine; the default depends on whether the encoder is calibrated)."""
    project = project_access(request).project
    threshold = default_threshold(project) if query.threshold is None else query.threshold
    return find_duplicate_groups(project, threshold)


@router.get("/projects/{project_id}/map", response=MapOut, operation_id="embedding_map")
@api_role("viewer")
def embedding_map(request: HttpRequest, project_id: DatabaseId) -> MapOut:
    """Every embedded image as a point of a 2-D projection of its representation."""
    return MapOut.model_validate(map_points(project_access(request).project))
