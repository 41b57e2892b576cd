"""The quality, label-error and near-duplicate pages (the map lives in map_views.py)."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from labelapp.images.labeling import LabelConflict
from labelapp.images.models import Image
from labelapp.insights import duplicates, label_issues
from labelapp.insights.forms import RelabelForm, ReviewForm, first_error
from labelapp.insights.learning_curve import draw_learning_curve
from labelapp.insights.quality import describe_classifiers
from labelapp.projects.permissions import ProjectAccess, project_role
from simclr_core.curation.near_duplicates import DUPLICATE_THRESHOLD, PIXEL_THRESHOLD


def page_context(access: ProjectAccess, tab: str) -> dict[str, Any]:
    return {"access": access, "project": access.project, "insight_tab": tab}


@project_role("viewer")
def quality_page(request: HttpRequest, access: ProjectAccess) -> HttpResponse:
    versions = describe_classifiers(access.project)
    curve = draw_learning_curve(
        [(v.number, v.label_count, *v.estimate) for v in versions if v.estimate is not None]
    )
    context = {**page_context(access, "quality"), "versions": versions, "curve": curve}
    return render(request, "insights/quality.html", context)


@project_role("viewer")
def label_errors_page(request: HttpRequest, access: ProjectAccess) -> HttpResponse:
    anyway = request.GET.get("anyway") == "1"
    report = label_issues.find_suspected_labels(access.project, anyway=anyway)
    context = {**page_context(access, "label-errors"), "report": report, "anyway": anyway}
    return render(request, "insights/label_errors.html", context)


def _back_to_label_errors(
    request: HttpRequest, access: ProjectAccess, image_id: int
) -> HttpResponse:
    """The list again, at the image, still shown "anyway" if it was."""
    url = reverse("insights-label-errors", kwargs={"project_id": access.project.pk})
    anyway = "?anyway=1" if request.POST.get("anyway") == "1" else ""
    return redirect(f"{url}{anyway}#image-{image_id}", permanent=False)


@project_role("labeler", ("POST",))
def relabel_image(request: HttpRequest, access: ProjectAccess, image_id: int) -> HttpResponse:
    image = get_object_or_404(Image, pk=image_id, project=access.project)
    form = RelabelForm(access.project, request.POST)
    if not form.is_valid():
        messages.error(request, f"Not relabeled: {first_error(form)}")
        return _back_to_label_errors(request, access, image_id)
    label_class = form.cleaned_data["class_id"]
    try:
        label_issues.relabel(image, label_class, request.user, form.cleaned_data["label_version"])
    except LabelConflict as conflict:
        messages.error(request, f"{image.original_name} was not relabeled. {conflict}")
        return _back_to_label_errors(request, access, image_id)
    messages.success(request, f"{image.original_name} is now labeled {label_class.name}.")
    return _back_to_label_errors(request, access, image_id)


@project_role("labeler", ("POST",))
def keep_image_label(request: HttpRequest, access: ProjectAccess, image_id: int) -> HttpResponse:
    image = get_object_or_404(Image, pk=image_id, project=access.project)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Not kept: {first_error(form)}")
        return _back_to_label_errors(request, access, image_id)
    try:
        label_issues.keep_label(image, request.user, form.cleaned_data["label_version"])
    except LabelConflict as conflict:
        messages.error(request, f"{image.original_name}: {conflict}")
        return _back_to_label_errors(request, access, image_id)
    messages.success(request, f"Kept the label of {image.original_name}.")
    return _back_to_label_errors(request, access, image_id)


@project_role("viewer")
def duplicates_page(request: HttpRequest, access: ProjectAccess) -> HttpResponse:
    status, problem = 200, ""
    default = duplicates.default_threshold(access.project)
    try:
        threshold = duplicates.parse_threshold(request.GET.get("threshold"), default)
    except ValueError as error:
        threshold, status, problem = default, 400, str(error)
    report = duplicates.find_duplicate_groups(access.project, threshold)
    context = {
        **page_context(access, "duplicates"),
        "report": report,
        "input_problem": problem,
        "lowest_threshold": duplicates.LOWEST_THRESHOLD,
        "duplicate_threshold": DUPLICATE_THRESHOLD,
        "pixel_threshold": PIXEL_THRESHOLD,
        "max_pairs": f"{duplicates.MAX_PAIRS:,}",
    }
    return render(request, "insights/duplicates.html", context, status=status)


@project_role("owner", ("GET", "POST"))
def delete_duplicate(request: HttpRequest, access: ProjectAccess, image_id: int) -> HttpResponse:
    """Owners remove one copy of a duplicate, after a page that shows which copy is kept.
    The kept copy must still exist: two deletions each keeping the other cannot lose both."""
    image = get_object_or_404(Image, pk=image_id, project=access.project)
    threshold = request.POST.get("threshold", request.GET.get("threshold", ""))
    url = reverse("insights-duplicates", kwargs={"project_id": access.project.pk})
    back = f"{url}?{urlencode({'threshold': threshold})}" if threshold else url
    kept = _kept_copy(access, image, request.POST.get("keep", request.GET.get("keep")))
    if kept is None:
        messages.error(request, f"Not deleted: no other copy of {image.original_name} to keep.")
        return redirect(back)
    if request.method == "GET":
        context = {
            **page_context(access, "duplicates"), "image": image, "kept": kept,
            "threshold": threshold, "back": back,
        }  # fmt: skip
        return render(request, "insights/delete_duplicate.html", context)
    if request.POST.get("confirm") != "delete":
        messages.error(request, "Not deleted: confirm the deletion with the Delete button.")
        return redirect(back)
    name = image.original_name
    image.delete()
    messages.success(
        request, f"Deleted {name} and its label history; {kept.original_name} is kept."
    )
    return redirect(back)


def _kept_copy(access: ProjectAccess, image: Image, text: str | None) -> Image | None:
    """The other image of the project named to be kept, if it exists."""
    if text is None or not text.isdigit() or int(text) == image.pk or int(text) >= 2**63:
        return None
    return (
        Image.objects.filter(project=access.project, pk=int(text))
        .select_related("current_label")
        .first()
    )
