"""Two more partial indexes for dispatch: callbacks per owner (personal first, then shared:
assigned_operator_id NULL), and held entries per customer (the "customer held elsewhere" check)."""

from django.db import migrations

INDEXES = [
    ("entry_dispatch_callback_owner", "(assigned_operator_id, callback_at, id) WHERE status = 'callback'"),
    ("entry_held_customer", "(customer_id) WHERE status = 'held'"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0006_console_dispatch_indexes"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {name} ON campaigns_calllistentry {definition}",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, definition in INDEXES
    ]
