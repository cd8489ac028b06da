"""Settings for the test suite: base settings with safe test values.

The same suite runs on SpatiaLite (default) and on PostGIS
(DATABASE_URL=postgis://…). Test databases live in files/databases that a
real Celery worker started by a test can open too.
"""

import base64
import os
import secrets

# A new key per run (a worker started by a test inherits it): no key of the repository works
# with DEBUG off, this suite's included.
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SITE_URL", "https://grid.example.gov.cn")  # links in e-mails
os.environ.setdefault("LOG_FORMAT", "plain")  # readable in pytest's report; tests/config test the JSON
# A key of its own per run for reporters' contacts (config.pii), inherited by a worker it starts.
os.environ.setdefault("PII_KEYS", base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())

from .base import *  # noqa: E402,F403
from .base import BASE_DIR, DATABASES, INSTALLED_APPS  # noqa: E402

# The demo county's tests (tests/demo) need its app whatever DEBUG is (base adds it with DEBUG on).
if "demo" not in INSTALLED_APPS:
    INSTALLED_APPS.append("demo")

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECURE_SSL_REDIRECT = False  # the test client speaks plain HTTP; the production defaults are tested on their own
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# One test database per test process, so that parallel runs on one machine do
# not destroy each other's; SpatiaLite's in a file, not :memory:, so that a
# Celery worker process started by a test can see the test data.
if DATABASES["default"]["ENGINE"].endswith("spatialite"):
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f".test-db-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}
DATABASES["default"]["CONN_MAX_AGE"] = 0
# Serve static files straight from the apps' folders (no collectstatic in tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Two-factor login is required of nobody here, as in the demo: tests of accounts.otp turn it on.
OTP_REQUIRED_ROLES = []
