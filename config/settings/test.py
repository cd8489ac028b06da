"""Settings for the test suite: base settings with safe test values.

The same suite runs on SpatiaLite (default) and on PostGIS
(DATABASE_URL=postgis://…). Test databases live in files/databases that a
real Celery worker started by a test can open too.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-only-for-the-test-suite-0123456789")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from .base import *  # noqa: E402,F403
from .base import BASE_DIR, DATABASES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"].endswith("spatialite"):
    # A file, not :memory:, so that a Celery worker process can see test data.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / ".test-db.sqlite3")}
DATABASES["default"]["CONN_MAX_AGE"] = 0
