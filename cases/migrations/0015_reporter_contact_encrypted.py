"""Reporters' names and phone numbers encrypted at rest (config.pii), with a keyed hash of the
phone for lookups; the rows already there are encrypted here, in batches, with the first key of
PII_KEYS (with DEBUG off the migration refuses to run without one). Reversible: back to clear text."""

from django.db import migrations, models

import config.pii

COLUMNS = ["reporter_name", "reporter_phone"]


def encrypt(apps, schema_editor):
    config.pii.rewrite_columns(
        schema_editor.connection, "cases_case", COLUMNS, config.pii.rotate, hashed=("reporter_phone", "reporter_phone_hash")
    )


def decrypt(apps, schema_editor):
    config.pii.rewrite_columns(schema_editor.connection, "cases_case", COLUMNS, config.pii.decrypt)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0014_notifications_for_upstream_systems"),
    ]

    operations = [
        migrations.AlterField(
            model_name="case",
            name="reporter_name",
            field=config.pii.EncryptedTextField(blank=True, verbose_name="reporter's name"),
        ),
        migrations.AlterField(
            model_name="case",
            name="reporter_phone",
            field=config.pii.EncryptedTextField(blank=True, verbose_name="reporter's phone"),
        ),
        migrations.AddField(
            model_name="case",
            name="reporter_phone_hash",
            field=models.CharField(
                blank=True, db_index=True, max_length=64, verbose_name="reporter's phone (keyed hash)"
            ),
        ),
        migrations.RunPython(encrypt, decrypt, elidable=False),
    ]
