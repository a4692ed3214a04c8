from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The base layer every app may use: errors, Markdown, images, pagination, site settings."""

    name = "core"
    verbose_name = "Site"
