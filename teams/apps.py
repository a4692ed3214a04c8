from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "teams"
    verbose_name = "Organizations and teams"

    def ready(self):
        from . import receivers  # noqa: F401  (connects the audit log to accounts' signals)
