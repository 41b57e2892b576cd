"""The embedding map page, its points, and the lasso's two actions (JSON in, JSON out)."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from labelapp.insights import map_actions
from labelapp.insights.embedding_map import map_classes, map_points
from labelapp.insights.views import page_context
from labelapp.projects.permissions import ProjectAccess, project_role


@project_role("viewer")
def map_page(request: HttpRequest, access: ProjectAccess) -> HttpResponse:
    config = {
        "points_url": reverse("insights-map-points", kwargs={"project_id": access.project.pk}),
        "can_label": access.can_label,
        "classes": map_classes(access.project),
        "max_selection": map_actions.MAX_SELECTION,
    }
    return render(
        request, "insights/map.html", {**page_context(access, "map"), "map_config": config}
    )


@project_role("viewer")
def map_points_data(request: HttpRequest, access: ProjectAccess) -> HttpResponse:
    return JsonResponse(map_points(access.project))


def _problem(error: map_actions.SelectionError) -> JsonResponse:
    return JsonResponse({"error": str(error)}, status=400)


@project_role("labeler", ("POST",))
def map_label(request: HttpRequest, access: ProjectAccess) -> HttpResponse:
    try:
        selection = map_actions.parse_label_selection(access.project, request.body)
    except map_actions.SelectionError as error:
        return _problem(error)
    outcome = map_actions.label_selection(access.project, selection, request.user)
    return JsonResponse(
        {
            "labeled": outcome.labeled,
            "labeled_ids": outcome.labeled_ids,
            "relabeled": outcome.relabeled,
            "unchanged": outcome.unchanged,
            "missing": outcome.missing,
            "conflicts": outcome.conflicts,
        }
    )


@project_role("labeler", ("POST",))
def map_queue(request: HttpRequest, access: ProjectAccess) -> HttpResponse:
    try:
        image_ids = map_actions.parse_queue_selection(request.body)
    except map_actions.SelectionError as error:
        return _problem(error)
    return JsonResponse(map_actions.queue_selection(access.project, image_ids))
