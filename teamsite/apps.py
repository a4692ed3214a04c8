from django.apps import AppConfig


class TeamsiteConfig(AppConfig):
    name = "teamsite"
    verbose_name = "teamsite"
