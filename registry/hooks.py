"""What registry adds to the pages of the apps below it (core.hooks): a run's artifacts."""

from core import hooks

from . import selectors


@hooks.register("run.sections")
def run_artifacts(*, request, run):
    """The artifact versions a run logged and used, on its overview."""
    found = selectors.run_artifacts(run)
    return {"template": "registry/_run_artifacts.html", **found}
