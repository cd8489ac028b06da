"""API tokens made before tokens were per device (Django REST framework's authtoken, one per
user, key stored as is) become device tokens named "API token (before devices)", expiring
API_TOKEN_DAYS from now. Their old table, if the database has one, is left as it was (the app
is no longer installed); drop it once the migration has run: DROP TABLE authtoken_token."""

import datetime as dt
import hashlib

from django.conf import settings
from django.db import migrations
from django.utils import timezone
from django.utils.dateparse import parse_datetime

OLD_TABLE = "authtoken_token"
NAME = "API token (before devices)"


def copy_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("accounts", "ApiToken")
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key, user_id, created FROM {OLD_TABLE}")  # noqa: S608 (a constant)
        rows = cursor.fetchall()
    ApiToken.objects.bulk_create(
        ApiToken(
            user_id=user_id, name=NAME, key_hash=hashlib.sha256(key.encode()).hexdigest(), prefix=key[:8],
            created_at=_aware(created) or now, expires_at=now + dt.timedelta(days=settings.API_TOKEN_DAYS),
        )  # fmt: skip
        for key, user_id, created in rows
    )


def _aware(value):
    """The old row's creation time: a datetime on PostgreSQL, text on SQLite; UTC if naive."""
    parsed = value if value is None or isinstance(value, dt.datetime) else parse_datetime(str(value))
    return parsed.replace(tzinfo=dt.UTC) if parsed is not None and parsed.tzinfo is None else parsed


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_password_records_and_api_tokens")]

    operations = [migrations.RunPython(copy_tokens, migrations.RunPython.noop)]
