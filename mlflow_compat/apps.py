from django.apps import AppConfig


class MlflowCompatConfig(AppConfig):
    name = "mlflow_compat"
    verbose_name = "MLflow-compatible API"
