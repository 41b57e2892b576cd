from django.urls import URLPattern, path

from labelapp.insights import map_views, views

insights = "projects/<int:project_id>/insights/"
suspect = insights + "label-errors/<int:image_id>/"

urlpatterns: list[URLPattern] = [
    path(insights + "quality/", views.quality_page, name="insights-quality"),
    path(insights + "label-errors/", views.label_errors_page, name="insights-label-errors"),
    path(suspect + "relabel/", views.relabel_image, name="insights-relabel"),
    path(suspect + "keep/", views.keep_image_label, name="insights-keep"),
    path(insights + "duplicates/", views.duplicates_page, name="insights-duplicates"),
    path(
        insights + "duplicates/<int:image_id>/delete/",
        views.delete_duplicate,
        name="insights-delete-duplicate",
    ),
    path(insights + "map/", map_views.map_page, name="insights-map"),
    path(insights + "map/points.json", map_views.map_points_data, name="insights-map-points"),
    path(insights + "map/label/", map_views.map_label, name="insights-map-label"),
    path(insights + "map/queue/", map_views.map_queue, name="insights-map-queue"),
]
