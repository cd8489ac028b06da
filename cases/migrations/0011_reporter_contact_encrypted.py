"""Reporters' names and phone numbers encrypted at rest (config.pii), with a keyed hash of the
phone for lookups; the rows already there are encrypted here, in batches, with the first key of
PII_KEYS (with DEBUG off the migration refuses to run without one). Reversible: back to clear text."""

from django.db import migrations, models

import config.pii

BATCH = 1000


def _rewrite(schema_editor, table: str, columns: list[str], convert, hashed: tuple[str, str] | None = None):
    """Read the rows with something in `columns` and write each value through `convert`; with
    `hashed` = (source column, hash column), also the source's lookup hash (of its clear text).
    Returns the number of rows written. (cases.privacy.pii_rotate uses it too.)"""
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    where = " OR ".join(f"{quote(c)} <> ''" for c in columns)
    last = written = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, {', '.join(quote(c) for c in columns)} FROM {quote(table)} "  # noqa: S608  (names only)
                f"WHERE id > %s AND ({where}) ORDER BY id LIMIT {BATCH}",
                [last],
            )
            rows = cursor.fetchall()
        if not rows:
            return written
        sets = [f"{quote(c)} = %s" for c in columns] + ([f"{quote(hashed[1])} = %s"] if hashed else [])
        updates = []
        for pk, *values in rows:
            new = [convert(value or "") for value in values]
            if hashed:
                new.append(config.pii.lookup_hash(config.pii.decrypt(values[columns.index(hashed[0])] or "")))
            updates.append([*new, pk])
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {quote(table)} SET {', '.join(sets)} WHERE id = %s", updates)  # noqa: S608
        last = rows[-1][0]
        written += len(rows)


def encrypt(apps, schema_editor):
    _rewrite(schema_editor, "cases_case", ["reporter_name", "reporter_phone"], config.pii.rotate,
             hashed=("reporter_phone", "reporter_phone_hash"))  # fmt: skip


def decrypt(apps, schema_editor):
    _rewrite(schema_editor, "cases_case", ["reporter_name", "reporter_phone"], config.pii.decrypt)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0010_case_asset"),
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
