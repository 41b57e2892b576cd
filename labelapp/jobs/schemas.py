"""A job's one outward form: the API's JobOut, and the JSON the pages poll."""

from datetime import datetime
from typing import Any

from ninja import Schema

from labelapp.jobs.models import Job


class JobOut(Schema):
    """Built from a Job row."""

    id: int
    kind: str
    status: str
    progress: float
    message: str
    eta_seconds: float | None
    metrics: dict[str, Any]
    result: dict[str, Any]
    error: str
    attempts: int
    worker: str
    device: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def job_as_dict(job: Job) -> dict[str, Any]:
    """JobOut as JSON-ready values, for the pages' JsonResponses."""
    return JobOut.from_orm(job).model_dump(mode="json")
