"""PostgreSQL: the day's tracking number from a sequence of its own (cases.services._next_tracking_number).

A sequence hands out numbers without a row lock and without waiting for the disk, so intakes at
the same moment never wait for each other (a number whose report then fails is not used again: no
gap-free promise). The function takes the day's next number, making the day's sequence on its
first use. SQLite keeps the row per day (cases.DailySequence): it has one writer at a time anyway.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION cases_tracking_next(on_day date) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  name text := 'cases_tracking_' || to_char(on_day, 'YYYYMMDD');
BEGIN
  RETURN nextval(name::regclass);
EXCEPTION WHEN undefined_table THEN
  BEGIN
    -- A day numbered before this function existed (the row per day) goes on after its last number.
    EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I START WITH %s', name,
                   coalesce((SELECT last FROM cases_dailysequence WHERE day = on_day), 0) + 1);
  EXCEPTION WHEN duplicate_table OR unique_violation THEN
    NULL;  -- made at the same moment by another intake
  END;
  RETURN nextval(name::regclass);
END
$$;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION, params=None)  # the function text has % signs of its own


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS cases_tracking_next(date)")


class Migration(migrations.Migration):
    dependencies = [("cases", "0008_list_indexes_newest_first")]

    operations = [migrations.RunPython(create, drop)]
