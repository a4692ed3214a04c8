from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self):
        from . import hooks, transfer  # noqa: F401  ("Add to report" on workspace panels; its part of exports)
