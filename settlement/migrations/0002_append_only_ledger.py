"""On PostgreSQL the database itself refuses to change or delete ledger rows (the models refuse it
too); corrections are new transactions."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION settlement_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are append-only: post a correcting transaction instead';
END;
$$ LANGUAGE plpgsql;
"""
TABLES = ["settlement_ledgertransaction", "settlement_ledgerentry"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION settlement_ledger_append_only()")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS settlement_ledger_append_only()")


class Migration(migrations.Migration):
    dependencies = [("settlement", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
