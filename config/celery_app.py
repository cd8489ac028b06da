"""The Celery application. Settings come from Django settings under CELERY_.

Besides: every log line of a task carries its name and id (config.logging), and a beat takes
the one-beat lock before it schedules anything (config.beatlock).
"""

import contextlib
import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("citydispatch")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

_tokens: dict = {}


@signals.task_prerun.connect(weak=False)
def _bind_task(task_id=None, task=None, **_kwargs):
    from config.logging import bind

    _tokens[task_id] = bind(task=getattr(task, "name", None), task_id=task_id)


@signals.task_postrun.connect(weak=False)
def _unbind_task(task_id=None, **_kwargs):
    from config.logging import unbind

    token = _tokens.pop(task_id, None)
    if token is not None:
        with contextlib.suppress(ValueError):  # bound in another context: nothing to undo here
            unbind(token)


@signals.beat_init.connect(weak=False)
def _one_beat(**kwargs):
    from config.beatlock import hold_or_exit

    hold_or_exit(**kwargs)
