from django.apps import AppConfig


class RuntimeConfig(AppConfig):
    """The project's runtime as an app, for its one command: `manage.py serve` (embedded mode's
    server with the periodic jobs of config/periodic.py, beside the Celery app it stands in for).
    No models, templates or static files."""

    name = "config"

    def ready(self) -> None:
        from config import pii  # noqa: F401  (registers its system check, config.E001)
