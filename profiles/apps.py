from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    """The team profile (/<team>/) and its settings: composed above teams, experiments and reports."""

    name = "profiles"
    verbose_name = "Team profiles"

    def ready(self):
        from . import transfer  # noqa: F401  (its part of team exports)
