"""The call-history summary kept on Customer (last call, last contact, last outcome and reaction,
no-contact streak, number of calls), so segments and the customer pages read it without `contacts`
importing `campaigns`. The outcome service runs RECORD_CALL_SQL inside its own store statement."""

from django.db import connection

from ..models import Customer

# Fold one call attempt into the customer's summary: one UPDATE, written with SQL expressions for
# {customer}, {at}, {code}, {reaction} and {reached} so the outcome service can run it inside its
# own statement. An attempt older than the latest known one (logged late) still counts, but does
# not overwrite the "last" fields.
RECORD_CALL_SQL = f"""
    UPDATE {Customer._meta.db_table} SET
        attempt_count = attempt_count + 1,
        last_disposition = CASE WHEN last_attempt_at IS NULL OR last_attempt_at <= {{at}}
                                THEN {{code}} ELSE last_disposition END,
        last_reaction = CASE WHEN last_attempt_at IS NULL OR last_attempt_at <= {{at}}
                             THEN {{reaction}} ELSE last_reaction END,
        consecutive_no_contact = CASE
            WHEN last_attempt_at IS NOT NULL AND last_attempt_at > {{at}} THEN consecutive_no_contact
            WHEN {{reached}} THEN 0 ELSE consecutive_no_contact + 1 END,
        last_contact_at = CASE WHEN {{reached}} THEN GREATEST(last_contact_at, {{at}})
                               ELSE last_contact_at END,
        last_attempt_at = GREATEST(last_attempt_at, {{at}})
    WHERE id = {{customer}}"""


def rebuild_call_summaries(*, attempts_sql: str, params=None) -> int:
    """Recompute the summary of every customer that appears in `attempts_sql`, set-based, from a
    query the caller provides (contacts does not know the attempts table). The query must return
    the columns customer_id, started_at, disposition_code, reaction, reached (boolean), one row
    per attempt, and should cover each of those customers' whole history. Returns rows updated."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH calls AS ({attempts_sql}),
            ranked AS (
                SELECT calls.*,
                       row_number() OVER (PARTITION BY customer_id ORDER BY started_at DESC) AS recency,
                       max(started_at) FILTER (WHERE reached) OVER (PARTITION BY customer_id) AS last_reached
                FROM calls
            ),
            summary AS (
                SELECT customer_id,
                       count(*) AS attempt_count,
                       max(started_at) AS last_attempt_at,
                       max(started_at) FILTER (WHERE reached) AS last_contact_at,
                       max(disposition_code) FILTER (WHERE recency = 1) AS last_disposition,
                       max(reaction) FILTER (WHERE recency = 1) AS last_reaction,
                       -- calls since the latest conversation (all of them when there was none)
                       count(*) FILTER (WHERE last_reached IS NULL OR started_at > last_reached) AS no_contact_streak
                FROM ranked
                GROUP BY customer_id
            )
            UPDATE {Customer._meta.db_table} AS c SET
                attempt_count = s.attempt_count,
                last_attempt_at = s.last_attempt_at,
                last_contact_at = s.last_contact_at,
                last_disposition = COALESCE(s.last_disposition, ''),
                last_reaction = COALESCE(s.last_reaction, ''),
                consecutive_no_contact = s.no_contact_streak
            FROM summary s
            WHERE c.id = s.customer_id
            """,
            params or [],
        )
        return cursor.rowcount
