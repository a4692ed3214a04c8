from django.apps import AppConfig


class TransferConfig(AppConfig):
    """Export and import of all of a team's data: it composes every app's part, so it sits above them all."""

    name = "transfer"
    verbose_name = "Export and import"

    def ready(self):
        from . import tasks  # noqa: F401  (the export task and the cleanup job)
