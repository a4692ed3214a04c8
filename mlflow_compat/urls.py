"""The MLflow paths, mounted by teamsite/urls.py before its /api/ catch-all."""

from django.urls import path, re_path

from . import artifacts, metrics, models_api, registry_api, tracking  # noqa: F401 - importing registers the endpoints
from .protocol import dispatch

urlpatterns = [
    re_path(r"^api/2\.0/mlflow/(?P<endpoint>[a-z0-9/_-]+)$", dispatch, name="mlflow-api"),
    re_path(r"^ajax-api/2\.0/mlflow/(?P<endpoint>[a-z0-9/_-]+)$", dispatch, name="mlflow-ajax-api"),
    re_path(r"^api/3\.0/mlflow/server-info$", artifacts.server_info, name="mlflow-server-info"),
    re_path(r"^api/3\.0/mlflow/(?P<endpoint>[a-z0-9/_-]+)$", dispatch, {"version": "3.0"}, name="mlflow-api-3"),
    path("api/2.0/mlflow-artifacts/artifacts", artifacts.artifact_list, name="mlflow-artifact-list"),
    path("api/2.0/mlflow-artifacts/artifacts/<path:path>", artifacts.artifact, name="mlflow-artifact"),
    re_path(r"^api/2\.0/mlflow-artifacts/mpu/(?P<action>create|complete|abort|upload)/(?P<path>.+)$", artifacts.multipart, name="mlflow-multipart"),
]
