"""A world of people and objects built once per test module, rolled back after it.

Access matrices ask hundreds of questions of the same world; building it once
keeps them fast, and the outer transaction keeps each module's world its own.
"""

from django.db import transaction
from django.test import override_settings


def built_once(django_db_blocker, build):
    """Use as `yield from built_once(django_db_blocker, build_world)` in a module-scoped fixture."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            built = build()
    yield built
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)
