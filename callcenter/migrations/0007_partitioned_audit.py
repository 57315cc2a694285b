"""The audit trail partitioned by month of created_at (callcenter.partitions), without losing a
row: the table is renamed, the partitioned one created with the same columns, the rows copied,
the identity sequence carried on, and the indexes and the append-only trigger re-created as the
catalog has them. The primary key becomes (id, created_at) in the database; Django's stays `id`
(nothing references an audit event by foreign key).

Irreversible: going back would mean converting back, row by row; restore a backup instead.
"""

from django.db import migrations

from callcenter.partitions import convert_to_partitioned


def partition_audit(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        convert_to_partitioned(cursor, "callcenter_auditevent", "created_at")


class Migration(migrations.Migration):
    dependencies = [("callcenter", "0006_audit_redaction")]

    operations = [migrations.RunPython(partition_audit)]
