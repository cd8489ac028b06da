from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo county and its history (manage.py seed_demo, load_demo_history).

    Installed only with DEBUG on, or in a `manage.py seed_demo` process (config/settings/base.py),
    so a production system never has these commands. No app imports it (the tests and the
    dashboard bench, which run with it installed, do).
    """

    name = "demo"
