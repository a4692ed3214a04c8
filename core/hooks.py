"""Extension points: a lower app names a hook, the apps above it add to it (Wagtail's hooks).

So a page of one app can show what a higher app offers (the workspace's "Add to
report" menu, a run's artifacts) without importing it. A hook is a function
registered under a name; the page calls every function of that name and shows
what they return.
"""

from collections import defaultdict

_hooks: dict[str, list] = defaultdict(list)


def register(name: str, fn=None):
    """Register `fn` under `name`; usable as a decorator (`@hooks.register("name")`)."""
    if fn is None:
        return lambda fn: register(name, fn)
    if fn not in _hooks[name]:
        _hooks[name].append(fn)
    return fn


def get(name: str) -> list:
    return list(_hooks[name])


def collect(name: str, *args, **kwargs) -> list:
    """Call every function of the hook; keep the answers that are not None."""
    answers = (fn(*args, **kwargs) for fn in get(name))
    return [answer for answer in answers if answer is not None]
