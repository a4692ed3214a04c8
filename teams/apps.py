from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "teams"
    verbose_name = "Organizations and teams"

    def ready(self):
        from . import receivers, tasks, transfer, webhooks  # noqa: F401  (the audit log hears accounts' signals; webhook jobs)
