"""Logged models (MLflow 3): until the registry is there, a search finds none."""

from .protocol import endpoint


@endpoint("logged-models/search", "POST")
def logged_model_search(call):
    return {"models": []}
