"""Open311 submitters' e-mail addresses encrypted at rest (config.pii), the rows already there
included, as cases 0015 does for reporters. Reversible: back to clear text."""

from django.db import migrations

import config.pii



def encrypt(apps, schema_editor):
    config.pii.rewrite_columns(schema_editor.connection, "open311_open311request", ["email"], config.pii.rotate)


def decrypt(apps, schema_editor):
    config.pii.rewrite_columns(schema_editor.connection, "open311_open311request", ["email"], config.pii.decrypt)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0015_reporter_contact_encrypted"),
        ("open311", "0001_api_keys_and_requests"),
    ]

    operations = [
        migrations.AlterField(
            model_name="open311request",
            name="email",
            field=config.pii.EncryptedTextField(blank=True, verbose_name="e-mail"),
        ),
        migrations.RunPython(encrypt, decrypt, elidable=False),
    ]
