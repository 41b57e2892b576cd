"""Labels the current classifier confidently disagrees with, and what a person does about them.

The suspects come from confident learning (simclr_core.curation.label_errors) on the classifier's
out-of-fold probabilities, so no image is judged by a model that saw its label. Only labels a
person gave are checked: an accepted prediction is an earlier model's own answer, and a model
trained on the same images mostly agrees with it, so its agreement proves nothing (and its
disagreement is one model against another). They are counted, not listed. Suspects are listed
only when the classifier is good enough on those labels for its disagreement to mean
something; otherwise the page says why instead. An image is listed only while its label is
still the one the classifier was trained on and nobody has reviewed that label and kept it.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction

from labelapp.images.labeling import LabelConflict, set_label
from labelapp.images.models import Image
from labelapp.insights.models import KeptLabel
from labelapp.learning.models import ModelVersion
from labelapp.learning.training import load_classifier_output
from labelapp.projects.models import LabelClass, Project
from labelapp.projects.tiles import url_template
from simclr_core.curation.label_errors import (
    LabelIssue,
    ModelAssessment,
    assess_model,
    find_label_issues,
)

MAX_LISTED = 200


@dataclass(frozen=True)
class SuspectedLabel:
    image_id: int
    name: str
    thumbnail_url: str
    detail_url: str
    label_version: int
    given: LabelClass
    suggested: LabelClass
    given_probability: float
    suggested_probability: float


@dataclass(frozen=True)
class LabelIssueReport:
    version: ModelVersion | None
    suspects: list[SuspectedLabel]
    total: int  # suspects before the listing cap (0 when held back and not asked for anyway)
    problem: str = ""
    assessment: ModelAssessment | None = None  # not reliable: a warning instead of a list
    checked: int = 0  # labels a person gave, the ones checked
    not_checked: int = 0  # accepted predictions and other labels a model gave
    classes: tuple[LabelClass, ...] = ()  # what "Relabel as..." offers
    reviewed: int = 0  # suspects a person kept or relabeled since, not listed


def _classes_in_order(project: Project, version: ModelVersion) -> list[LabelClass | None]:
    by_id = {label_class.pk: label_class for label_class in project.classes.all()}
    return [by_id.get(class_id) for class_id in (version.config or {}).get("classes") or []]


@dataclass(frozen=True)
class CheckedLabels:
    """The labels a person gave, as the classifier was trained on them, and how many it had
    from a model (older classifiers recorded no sources: all of theirs count as a person's)."""

    image_ids: np.ndarray  # (checked,)
    labels: np.ndarray  # (checked,) class positions
    out_of_fold: np.ndarray  # (checked, classes)
    not_checked: int


def _load_checked_labels(version: ModelVersion) -> CheckedLabels:
    output = load_classifier_output(version)
    labels = output["labels"]
    by_person = output.get("scored", np.ones(len(labels), bool)).astype(bool)
    if by_person.shape != labels.shape:
        raise ValueError("its label sources do not match its labels")
    return CheckedLabels(
        output["labeled_image_ids"][by_person],
        labels[by_person],
        output["out_of_fold"][by_person],
        int((~by_person).sum()),
    )


def _images_still_labeled_as_trained(
    project: Project, image_ids: list[int], trained_class_ids: dict[int, int]
) -> dict[int, Image]:
    kept = set(
        KeptLabel.objects.filter(image__project=project, image_id__in=image_ids).values_list(
            "image_id", "label_version"
        )
    )
    images = Image.objects.filter(project=project, pk__in=image_ids).only(
        "id", "project_id", "original_name", "content_hash", "current_label_id", "label_version"
    )
    return {
        image.pk: image
        for image in images
        if image.current_label_id == trained_class_ids[image.pk]
        and (image.pk, image.label_version) not in kept
    }


def find_suspected_labels(project: Project, anyway: bool = False) -> LabelIssueReport:
    """The current classifier's suspected label errors, most convincing first; none when the
    model is too weak for its disagreement to mean much, unless ``anyway``."""
    version = project.current_classifier
    if version is None or not version.weights:
        return LabelIssueReport(None, [], 0, "No classifier yet: label some images and train.")
    classes = _classes_in_order(project, version)
    try:
        checked = _load_checked_labels(version)
        if checked.out_of_fold.ndim != 2 or checked.out_of_fold.shape[1] != len(classes):
            raise ValueError("its classes do not match its probabilities")
        names = [c.name if c else "" for c in classes]
        issues = find_label_issues(checked.labels, checked.out_of_fold, names)
        assessment = assess_model(checked.labels, checked.out_of_fold, issues)
    except (OSError, KeyError, ValueError) as error:
        problem = f"Classifier v{version.number} has no usable out-of-fold predictions ({error})."
        return LabelIssueReport(version, [], 0, problem)
    listed = assessment.reliable or anyway
    suspects = _describe(project, classes, checked.image_ids, issues) if listed else []
    return LabelIssueReport(
        version, suspects[:MAX_LISTED], len(suspects), "", assessment,
        len(checked.labels), checked.not_checked, tuple(project.classes.order_by("position", "id")),
        len(issues) - len(suspects) if listed else 0,
    )  # fmt: skip


def _describe(
    project: Project, classes: list[LabelClass | None], image_ids: np.ndarray,
    issues: list[LabelIssue],
) -> list[SuspectedLabel]:  # fmt: skip
    """The issues whose images still carry the label they were trained on, unreviewed."""
    candidates = [
        issue for issue in issues
        if classes[issue.given_label] is not None and classes[issue.suggested_label] is not None
    ]  # fmt: skip
    trained = {
        int(image_ids[issue.index]): classes[issue.given_label].pk  # type: ignore[union-attr]
        for issue in candidates
    }
    images = _images_still_labeled_as_trained(project, list(trained), trained)
    thumbnail = url_template("image-thumbnail-hashed", project.pk, hashed=True)
    detail = url_template("image-detail", project.pk)
    suspects = []
    for issue in candidates:
        image = images.get(int(image_ids[issue.index]))
        if image is None:
            continue
        suspects.append(
            SuspectedLabel(
                image_id=image.pk,
                name=image.original_name,
                thumbnail_url=thumbnail.format(image_id=image.pk, hash=image.content_hash),
                detail_url=detail.format(image_id=image.pk),
                label_version=image.label_version,
                given=classes[issue.given_label],  # type: ignore[arg-type]
                suggested=classes[issue.suggested_label],  # type: ignore[arg-type]
                given_probability=issue.given_probability,
                suggested_probability=issue.suggested_probability,
            )
        )
    return suspects


def relabel(image: Image, label_class: LabelClass, user: Any, expected_version: int) -> Image:
    """Give the image the class a person chose; raises LabelConflict if it changed meanwhile."""
    return set_label(image, label_class, user, expected_version)


def keep_label(image: Image, user: Any, expected_version: int) -> None:
    """Record that a person reviewed the label and kept it; raises LabelConflict if stale."""
    with transaction.atomic():
        current = (
            Image.objects.select_for_update(of=("self",))
            .select_related("current_label")
            .get(pk=image.pk)
        )
        if current.label_version != expected_version:
            raise LabelConflict(current)
        try:
            with transaction.atomic():
                KeptLabel.objects.create(image=current, label_version=expected_version, user=user)
        except IntegrityError:
            pass  # someone kept it already: the outcome is the same
