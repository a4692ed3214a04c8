"""Per-object grants, kept in django-guardian and touched only here.

Creators own their runs (and later sweeps), authors their reports, creators
manage their projects, and restricted projects have access lists. Models name
their owner permission with `policy_owner_perm`; guardian's direct-FK tables
are found through the model, so this module imports no app above teams.
"""

from guardian.core import ObjectPermissionChecker
from guardian.shortcuts import assign_perm, get_users_with_perms, remove_perm
from guardian.utils import get_user_obj_perms_model


def has(user, codename, obj) -> bool:
    checker = _checkers().get(user.pk)
    if checker is None:
        checker = ObjectPermissionChecker(user)
        _remember(user, checker)
    return checker.has_perm(codename, obj)


def prefetch(user, objects):
    checker = ObjectPermissionChecker(user)
    checker.prefetch_perms(objects)
    _remember(user, checker)


# One checker per person per request: guardian caches each object's grants in it.
_local = {}


def _checkers():
    from .access import _request_cache

    cache = _request_cache.get()
    return cache.setdefault("checkers", {}) if cache is not None else _local.clear() or _local


def _remember(user, checker):
    _checkers()[user.pk] = checker


def _forget_checker(user):
    _checkers().pop(getattr(user, "pk", None), None)


def grant_owner(user, obj):
    """`user` created `obj` (a run, a report): what "own" means in the scopes."""
    if user is not None and user.is_authenticated and user.pk:
        assign_perm(type(obj).policy_owner_perm, user, obj)
        _forget_checker(user)


def grant_project_creator(user, project):
    if user is not None and user.is_authenticated and user.pk:
        assign_perm("manage_project", user, project)
        _forget_checker(user)


def access_list(project):
    """Users on a restricted project's access list."""
    return get_users_with_perms(project, only_with_perms_in=["access_project"], with_superusers=False)


def access_list_add(project, user):
    assign_perm("access_project", user, project)
    _forget_checker(user)


def access_list_remove(project, user):
    remove_perm("access_project", user, project)
    _forget_checker(user)


def owned_ids(user, model, codename):
    """The ids of `model` rows `user` holds `codename` on, as a subquery."""
    table = get_user_obj_perms_model(model)
    return table.objects.filter(user=user, permission__codename=codename).values("content_object_id")


def forget_grants_in_team(*, user, queryset):
    """A person leaving a team stops managing its projects and leaves their access lists."""
    table = get_user_obj_perms_model(queryset.model)
    table.objects.filter(user=user, content_object__in=queryset).delete()
    _forget_checker(user)
