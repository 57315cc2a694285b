"""Partial indexes for next-call dispatch (campaigns.services.dispatch), one per candidate tier,
each in the order dispatch reads it, holding only the rows that tier can return. Raw SQL (not
Meta.indexes) because they belong to the dispatch queries, not to the model's shape."""

from django.db import migrations

INDEXES = [
    # Fresh entries (never tried in this round), in list order.
    ("entry_dispatch_fresh", "(call_list_id, rank, id) WHERE status = 'pending' AND attempts = 0"),
    # Retries, the longest-due first.
    ("entry_dispatch_retry", "(call_list_id, next_attempt_at, id) WHERE status = 'pending' AND attempts > 0"),
    # Callbacks by due time.
    ("entry_dispatch_callback", "(callback_at, id) WHERE status = 'callback'"),
    # Holds: the operator's current entry, and expiry for the release job.
    ("entry_dispatch_held", "(held_by_id, held_until) WHERE status = 'held'"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0005_kpis_rollups"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {name} ON campaigns_calllistentry {definition}",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, definition in INDEXES
    ]
