from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The base layer every app may use: errors, Markdown, images, pagination, site settings, mail, the schedule."""

    name = "core"
    verbose_name = "Site"

    def ready(self):
        from . import health, mail, tasks  # noqa: F401  (the outbox's periodic jobs, the worker's beat, readiness checks)
