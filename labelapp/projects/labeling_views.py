"""The labeling grid, the label-next queue, one image at full size, and bulk acceptance.

Labels themselves are saved by the browser through the JSON API (labelapp/api/labels.py).
"""

from dataclasses import replace
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from labelapp.images import labeling
from labelapp.images.label_sources import PICKED_BY
from labelapp.images.models import Image
from labelapp.insights.quality import unknown_right_reason
from labelapp.learning.models import Prediction, QueueItem
from labelapp.projects.forms import AcceptPredictionsForm
from labelapp.projects.image_filters import (
    FilterError,
    ImageFilter,
    filter_images,
    grid_order,
    parse_filter,
)
from labelapp.projects.permissions import ProjectAccess, project_role
from labelapp.projects.tiles import TILE_FIELDS, build_tiles, url_template

PAGE_SIZE = 200


def _classes_for_script(access: ProjectAccess) -> list[dict[str, Any]]:
    return [label_class.as_dict() for label_class in access.project.classes.all()]


def _grid_context(access: ProjectAccess) -> dict[str, Any]:
    project = access.project
    classes = _classes_for_script(access)
    return {
        "access": access,
        "project": project,
        "classes": classes,
        "class_names": {c["id"]: c["name"] for c in classes},
        "labeling_config": {
            "project": project.pk,
            "can_label": access.can_label,
            "labels_url": reverse("api-1:set_labels", kwargs={"project_id": project.pk}),
            "classes": classes,
        },
    }


@project_role("viewer")
def labeling_page(request: HttpRequest, access: ProjectAccess) -> HttpResponse:
    try:
        image_filter = parse_filter(request.GET)
        status = 200
    except FilterError as error:
        messages.error(request, str(error))
        image_filter, status = ImageFilter(), 400
    images = filter_images(access.project, image_filter).only(*TILE_FIELDS)
    images = images.order_by(*grid_order(image_filter))
    page = Paginator(images, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        **_grid_context(access),
        "tab": "images",
        "filter": image_filter,
        "filter_query": urlencode(image_filter.as_query()),
        "page": page,
        "tiles": build_tiles(access.project, page.object_list),
    }
    return render(request, "images/labeling.html", context, status=status)


@project_role("viewer")
def queue_page(request: HttpRequest, access: ProjectAccess) -> HttpResponse:
    items = list(
        QueueItem.objects.filter(project=access.project, image__current_label__isnull=True)
        .select_related("image")
        .only("image_id", "reason", "rank", "strategy", *(f"image__{name}" for name in TILE_FIELDS))
        .order_by("rank")[:PAGE_SIZE]
    )
    context = {
        **_grid_context(access),
        "tab": "queue",
        "tiles": build_tiles(
            access.project, [item.image for item in items], {item.image_id: item for item in items}
        ),
    }
    return render(request, "images/queue.html", context)


@project_role("viewer")
def image_detail(request: HttpRequest, access: ProjectAccess, image_id: int) -> HttpResponse:
    image = get_object_or_404(
        Image.objects.select_related("current_label"), pk=image_id, project=access.project
    )
    prediction = (
        Prediction.objects.filter(
            image=image, model_version_id=access.project.current_classifier_id
        )
        .select_related("predicted_class")
        .first()
    )
    history = image.labels.select_related("label_class", "user")[:50]
    neighbours = Image.objects.filter(project=access.project)
    previous_image = neighbours.filter(pk__lt=image.pk).order_by("-pk").first()
    next_image = neighbours.filter(pk__gt=image.pk).order_by("pk").first()
    # opened from "Label next": its label records the strategy that offered it
    picked_by = request.GET.get("picked_by", "")
    tiles = [
        replace(tile, picked_by=picked_by if picked_by in PICKED_BY else "")
        for tile in build_tiles(access.project, [image])
    ]
    context = {
        **_grid_context(access),
        "image": image,
        "tiles": tiles,
        "full_url": url_template("image-file-hashed", access.project.pk, hashed=True).format(
            image_id=image.pk, hash=image.content_hash
        ),
        "prediction": prediction,
        "probabilities": _probabilities(access, prediction),
        "history": history,
        "previous_image": previous_image,
        "next_image": next_image,
    }
    return render(request, "images/image_detail.html", context)


def _probabilities(
    access: ProjectAccess, prediction: Prediction | None
) -> list[tuple[str, str, float]]:
    if prediction is None:
        return []
    rows = [
        (c.name, c.color, 100.0 * float(prediction.probabilities.get(str(c.pk), 0.0)))
        for c in access.project.classes.all()
    ]
    return sorted(rows, key=lambda row: -row[2])


@project_role("labeler", methods=("GET", "POST"))
def accept_predictions(request: HttpRequest, access: ProjectAccess) -> HttpResponse:
    """Step 1 (GET): how many images would be labeled. Step 2 (POST): label them."""
    project = access.project
    data = request.POST if request.method == "POST" else request.GET
    form = AcceptPredictionsForm(data if "minimum_confidence" in data else None)
    context: dict[str, Any] = {"access": access, "project": project, "form": form}
    if not form.is_valid():
        status = 400 if form.is_bound else 200
        return render(request, "images/accept_predictions.html", context, status=status)
    minimum_confidence = form.cleaned_data["minimum_confidence"]
    if request.method == "POST":
        accepted = labeling.accept_predictions(project, request.user, minimum_confidence)
        expected = form.cleaned_data["expected_count"]
        changed = "" if expected in (None, accepted) else f" (the preview said {expected}: "
        changed += "labels or predictions changed meanwhile)" if changed else ""
        messages.success(request, f"Accepted {accepted} predictions as labels{changed}.")
        return redirect("project-labeling", project_id=project.pk)
    context["preview"] = preview = labeling.preview_acceptance(project, minimum_confidence)
    if preview.expected_right is None and project.current_classifier is not None:
        context["unknown_right"] = unknown_right_reason(project.current_classifier.metrics or {})
    return render(request, "images/accept_predictions.html", context)
