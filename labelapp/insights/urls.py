from django.urls import URLPattern, path

import labelapp.ids  # noqa: F401  (registers the <id:...> path converter used below)
from labelapp.insights import map_views, views

insights = "projects/<id:project_id>/insights/"
suspect = insights + "label-errors/<id:image_id>/"

urlpatterns: list[URLPattern] = [
    path(insights + "quality/", views.quality_page, name="insights-quality"),
    path(insights + "label-errors/", views.label_errors_page, name="insights-label-errors"),
    path(suspect + "relabel/", views.relabel_image, name="insights-relabel"),
    path(suspect + "keep/", views.keep_image_label, name="insights-keep"),
    path(insights + "duplicates/", views.duplicates_page, name="insights-duplicates"),
    path(
        insights + "duplicates/<id:image_id>/delete/",
        views.delete_duplicate,
        name="insights-delete-duplicate",
    ),
    path(insights + "map/", map_views.map_page, name="insights-map"),
    path(insights + "map/points.json", map_views.map_points_data, name="insights-map-points"),
    path(insights + "map/label/", map_views.map_label, name="insights-map-label"),
    path(insights + "map/queue/", map_views.map_queue, name="insights-map-queue"),
]
