"""Indexes for the customer list (search, sorting) and segment counts over a million customers.

Written as SQL because two are expression/GIN indexes that selectors must match exactly:
- customer_search_trgm: trigram index over name + kana without spaces, lower-cased; the
  expression is contacts.selectors.CustomerSearchText (keep both identical).
- customer_tags_gin: tag rules and filters (tags @> / && ARRAY[...]).
The btree indexes serve "days since …"/age segment rules and the list's sort columns.
They are not declared in models.py (Django's index syntax cannot express the first one), so
makemigrations does not see them; that is intended."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = {
    "customer_search_trgm": "USING gin ((lower(translate((name || '|' || name_kana), ' \u3000', ''))) gin_trgm_ops)",
    "customer_tags_gin": "USING gin (tags)",
    "customer_last_purchase": "(last_purchase_at)",
    "customer_registered": "(registered_at)",
    "customer_birth_date": "(birth_date)",
    "customer_last_contact": "(last_contact_at)",
    "customer_total_spent": "(total_spent)",
}


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0001_initial"),
    ]

    operations = [
        TrigramExtension(),
        *[
            migrations.RunSQL(
                f"CREATE INDEX IF NOT EXISTS {name} ON contacts_customer {definition}",
                f"DROP INDEX IF EXISTS {name}",
            )
            for name, definition in INDEXES.items()
        ],
    ]
