from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "labelapp.insights"
    verbose_name = "Insights"
