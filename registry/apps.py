from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "Artifacts and the model registry"

    def ready(self):
        from . import hooks, transfer  # noqa: F401  (a run page's artifacts; the part of a team export)
