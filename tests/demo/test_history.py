"""The demo's case history leaves nothing for the workers: with a broker, the after-photos'
thumbnails (a task each) are made while seeding, not queued ahead of the first real task."""

import pytest

from cases.models import Case, CasePhoto, PhotoStatus
from config.celery_app import app
from demo.history import demo_history_load
from demo.services import demo_county_load


@pytest.mark.django_db(transaction=True)  # the history commits: its tasks are queued on commit
def test_it_makes_the_after_photos_at_once_even_with_a_broker(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    demo_county_load(password="demo-pass-for-tests")
    # As with a broker and no worker running yet: a task sent now waits in the queue (the
    # test settings' in-memory transport, which nothing here consumes).
    monkeypatch.setitem(app.conf, "task_always_eager", False)

    made = demo_history_load(days=12)

    photos = CasePhoto.objects.filter(case__in=Case.objects.all())
    assert made and photos.exists()
    assert set(photos.values_list("status", flat=True)) == {PhotoStatus.READY}
    assert all((tmp_path / photo.thumbnail.name).is_file() for photo in photos)
    assert app.conf.task_always_eager is False  # as it was, once the history is loaded
