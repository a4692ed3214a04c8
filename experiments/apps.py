from django.apps import AppConfig


class ExperimentsConfig(AppConfig):
    name = "experiments"
    verbose_name = "Experiments"

    def ready(self):
        from . import events, receivers, tasks, transfer  # noqa: F401  (listens to teams' signals; periodic jobs)
