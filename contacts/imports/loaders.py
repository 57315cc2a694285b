"""Set-based loading of staged chunks: report bad rows, write the good ones, count exactly.

A loader is driven by pipeline.run_pipeline:
    loader.staged_chunks(rows)             reader thread: yields the COPY data of each chunk
    loader.begin(cursor)                   in the import's transaction
    loader.copy_chunk(cursor, n, batches)  … per chunk: COPY into a TEMP table
    loader.apply_chunk(cursor, table)      … and apply it
    loader.finish(cursor) -> Counts

Staged rows are typed, or carry their errors (staging.py). Here, in SQL: checks that need the
database (a DNC row's customer must exist), the error report, and the writes. A key appears at
most once among the valid rows of a file (the reader fails repeats), so chunks never touch the
same customer twice and the counts of each chunk simply add up.
"""

import logging
from dataclasses import dataclass

from django.db import OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.statistics import refresh_statistics

from ..locks import lock_registry_for_a_batch
from ..services.dnc import ALREADY_REGISTERED_SQL
from . import fields
from .converters import TAG_SEPARATOR, converter_for
from .staging import RequiredCells, StagedColumn, StagedPhone, UniqueKey, copy_chunk, staged_chunks, table_definition

logger = logging.getLogger(__name__)

VALID = "errors IS NULL"
# Bulk loads (CustomerLoader._set_aside_for_bulk_load): the smallest file that takes the path, how
# long to wait for the tables' lock before taking the normal path, the memory of the rebuilds, and
# how long no stored customer may have been called (a working floor never gets its tables locked).
BULK_LOAD_MIN_ROWS = 100_000
BULK_LOCK_TIMEOUT = "2s"
BULK_MAINTENANCE_WORK_MEM = "512MB"
BULK_QUIET_HOURS = 24


@dataclass
class Counts:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    invalid_phones: int = 0


class TableLoader:
    kind = ""

    def __init__(
        self,
        *,
        job_id: int,
        mapping: dict[str, str],
        headers: list[str],
        time_zone: str,
        normalize_phone,
        phone_region: str | None = None,
        expected_rows: int = 0,
    ):
        self.job_id = int(job_id)
        self.expected_rows = int(expected_rows or 0)  # the upload's estimate (lines of the file)
        self.headers = headers
        self.time_zone = time_zone
        self.normalize_phone = normalize_phone
        self.phone_region = phone_region  # normalize_phone's region: the columnar fast path's
        self.targets = fields.targets_for(self.kind)
        self.prefix = f"import_stage_{self.job_id}"
        self.columns: list[StagedColumn] = []
        self.phones: list[StagedPhone] = []
        self.attributes: list[tuple[str, StagedColumn]] = []  # (attribute key, column)
        self.header_of: dict[str, str] = {}  # target -> header in the file
        for index, header in enumerate(headers):
            target = mapping.get(header, "")
            if not target:
                continue
            if fields.is_attribute(target):
                column = StagedColumn(f"a_{len(self.attributes) + 1}", index, header, target, _keep, kind="keep")
                self.columns.append(column)
                self.attributes.append((fields.attribute_key(target), column))
                continue
            spec = self.targets[target]
            self.header_of[target] = header
            if spec.kind == "phone":
                self.phones.append(StagedPhone(f"t_{target}", index, header, target, spec.phone_kind))
            else:
                convert, sql_type = converter_for(spec.kind, spec.max_length)
                self.columns.append(
                    StagedColumn(f"t_{target}", index, header, target, convert, sql_type, spec.kind, spec.max_length)
                )
        self.counts = Counts()
        self.params = {"job": self.job_id, "now": timezone.now(), "time_zone": self.time_zone}

    def mapped(self, target: str) -> bool:
        return target in self.header_of

    def required(self) -> list[RequiredCells]:
        return []

    def unique_key(self) -> UniqueKey | None:
        return None

    def staged_chunks(self, rows):
        return staged_chunks(
            columns=self.columns,
            phones=self.phones,
            required=self.required(),
            unique=self.unique_key(),
            width=len(self.headers),
            rows=rows,
            normalize_phone=self.normalize_phone,
            phone_region=self.phone_region,
        )

    def copy_chunk(self, cursor, number: int, batches: list[bytes]) -> str:
        table = f"{self.prefix}_{number}"
        unique = self.unique_key()
        copy_chunk(
            cursor,
            table=table,
            definition=table_definition(self.columns, self.phones),
            batches=batches,
            # Statistics on what the statements filter and join on; without them the planner expects
            # almost no valid row and may choose plans that rescan contacts_customer per row.
            analyze=["errors", *([unique.name] if unique else [])],
        )
        return table

    def begin(self, cursor) -> None:
        cursor.execute("SET LOCAL work_mem = '256MB'")
        # The chunk statements are few, big and simple: compiling their expressions with LLVM
        # (chosen by cost estimates that a table growing in this transaction makes unreliable)
        # costs up to seconds per statement and saves little.
        cursor.execute("SET LOCAL jit = off")
        # The ANALYZEs of the chunk tables need rough figures only: sample 3,000 rows, not 30,000.
        cursor.execute("SET LOCAL default_statistics_target = 10")

    def apply_chunk(self, cursor, table: str) -> None:
        raise NotImplementedError

    def finish(self, cursor) -> Counts:
        return self.counts

    # ------------------------------------------------------------ shared steps

    def fail_rows(self, cursor, table: str, *, condition: str, header: str, value: str, message: str) -> None:
        """Mark valid rows matching `condition` as failed, with one error."""
        cursor.execute(
            f"""
            UPDATE {table} SET errors = jsonb_build_array(jsonb_build_array(
                %(fail_header)s::text, coalesce(({value})::text, ''), %(fail_message)s::text))::text
            WHERE {VALID} AND ({condition})
            """,
            {**self.params, "fail_header": header, "fail_message": message},
        )

    def report_errors(self, cursor, table: str) -> None:
        cursor.execute(
            f"""
            INSERT INTO contacts_importrowerror (job_id, line, "column", value, message)
            SELECT %(job)s, s.line, left(e.item ->> 0, 100), coalesce(e.item ->> 1, ''), e.item ->> 2
            FROM {table} s CROSS JOIN LATERAL jsonb_array_elements(s.errors::jsonb) AS e(item)
            WHERE s.errors IS NOT NULL
            """,
            self.params,
        )

    def report_invalid_phones(self, cursor, table: str, *, message: str) -> None:
        """List each unusable phone cell of the chunk's valid rows in the error report (the row
        itself is imported; `message` says what became of the number). A cell without a single
        digit ("なし") is no number at all and is reported as such: staging stores nothing for it."""
        if not self.phones:
            return
        cells = ", ".join(
            f"(%(phone_header_{n})s::text, v.{p.name}, v.{p.name}_number, v.{p.name}_valid)"
            for n, p in enumerate(self.phones, 1)
        )
        headers = {f"phone_header_{n}": p.header[:100] for n, p in enumerate(self.phones, 1)}
        # The few rows with an unusable number, found by the scan before any row is expanded.
        any_invalid = " OR ".join(f"v.{p.name}_valid IS FALSE" for p in self.phones)
        cursor.execute(
            f"""
            INSERT INTO contacts_importrowerror (job_id, line, "column", value, message)
            SELECT %(job)s, v.line, x.header, x.raw,
                   CASE WHEN x.number IS NULL THEN %(no_digit_message)s ELSE %(invalid_message)s END
            FROM {table} v CROSS JOIN LATERAL (VALUES {cells}) AS x(header, raw, number, valid)
            WHERE v.{VALID} AND x.valid IS FALSE AND ({any_invalid})
            """,
            {
                **self.params,
                **headers,
                "invalid_message": message,
                "no_digit_message": _("Not a phone number (no digit in it): nothing was stored for this cell."),
            },
        )

    def count_rows(self, cursor, table: str) -> int:
        """Add the chunk's rows, failed rows and invalid numbers to the counts; return its valid rows."""
        # Numbers kept as invalid: a cell without any digit stores nothing (staging), so it is not one.
        bad = " + ".join(f"({p.name}_valid IS FALSE AND {p.name}_number IS NOT NULL)::int" for p in self.phones) or "0"
        cursor.execute(
            f"SELECT count(*), count(*) FILTER (WHERE {VALID}), coalesce(sum({bad}) FILTER (WHERE {VALID}), 0) "
            f"FROM {table}"
        )
        total, valid, invalid_phones = cursor.fetchone()
        self.counts.total += total
        self.counts.failed += total - valid
        self.counts.invalid_phones += int(invalid_phones)
        return valid


def _keep(text: str) -> str:
    return text


# ---------------------------------------------------------------- customers


class CustomerLoader(TableLoader):
    """Upsert customers by external_id and add their phone numbers.

    Blank cells keep what is stored (a file never erases data by leaving a cell empty); columns
    that are not mapped are not touched. A customer counts as updated when a mapped value or a
    phone number (a new number, another primary) changed, and as unchanged otherwise."""

    kind = "customers"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.touched = f"import_touched_{self.job_id}"
        self.phone_touched = f"import_phone_touched_{self.job_id}"
        self.stored = f"import_stored_{self.job_id}"
        for n, (key, _staged) in enumerate(self.attributes, 1):
            self.params[f"attribute_{n}"] = key
        self.params["tag_separator"] = TAG_SEPARATOR

    def unique_key(self):
        return UniqueKey(
            "t_external_id",
            self.header_of.get("external_id", ""),
            _("This customer ID already appears on line {line}; only that line was imported."),
        )

    def required(self):
        names = [n for n in ("t_name",) if self.mapped("name")] or [
            f"t_{t}" for t in ("last_name", "first_name") if self.mapped(t)
        ]
        name_header = (
            self.header_of.get("name") or self.header_of.get("last_name") or self.header_of.get("first_name", "")
        )
        checks = [
            RequiredCells(("t_external_id",), self.header_of.get("external_id", ""), _("The customer ID is empty."))
        ]
        if names:
            checks.append(RequiredCells(tuple(names), name_header, _("The name is empty.")))
        return checks

    def begin(self, cursor):
        super().begin(cursor)
        # Every statement below reaches the stored tables by key, for one chunk's rows, through a
        # LATERAL lookup or an id array: always an index. The planner would otherwise choose a
        # sequential scan of a table it believes small (empty at the start of an initial load)
        # and repeat it for each row of the chunk while the table grows (quadratic), or read a
        # whole table per chunk for a hash join. Temp tables have no index and are still scanned.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")  # one or two rows per key
        cursor.execute("SET LOCAL enable_memoize = off")  # every lookup key is different
        self.restore = self._set_aside_for_bulk_load(cursor) if self._is_bulk_load(cursor) else []
        self.empty_at_start = False
        if self.restore:  # the tables are locked: nobody can add a customer until this commits
            cursor.execute("SELECT NOT EXISTS (SELECT 1 FROM contacts_customer)")
            self.empty_at_start = cursor.fetchone()[0]
        # Per chunk: every customer of the chunk's valid rows (whether it is new, whether it was
        # written) and the customers whose numbers changed. Rebuilt for each chunk, dropped with
        # the transaction.
        for table in (self.touched, self.phone_touched, self.stored):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(
            f"CREATE TEMP TABLE {self.touched} (id bigint, external_id text, inserted boolean, written boolean) ON "
            "COMMIT DROP"
        )
        cursor.execute(f"CREATE TEMP TABLE {self.phone_touched} (customer_id bigint) ON COMMIT DROP")
        cursor.execute(
            f"CREATE TEMP TABLE {self.stored} (id bigint, customer_id bigint, number text, is_primary boolean) ON "
            "COMMIT DROP"
        )
        self._prepare_upsert()

    def finish(self, cursor):
        if self.restore:
            # Sorting and building each index once, and checking each foreign key with one join,
            # is far cheaper than maintaining them row by row. CREATE INDEX refuses a table with
            # pending deferred foreign-key checks: run them now (they would run at commit anyway).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL enable_seqscan = on")  # the foreign-key checks read everything
            cursor.execute("SET LOCAL maintenance_work_mem = %s", [BULK_MAINTENANCE_WORK_MEM])
            for statement in self.restore:
                cursor.execute(statement)
            # The tables grew from (almost) empty to this file's size in one transaction: fresh
            # column statistics now, or list builds and segment counts are planned for an empty
            # table until autovacuum gets round to it (never, where it is switched off). A sample
            # of rows: about a second per million customers.
            cursor.execute("ANALYZE contacts_customer")
            cursor.execute("ANALYZE contacts_phonenumber")
        else:
            # Through the indexes (a table already holding customers, or the bulk load's lock not
            # granted in time): fresh statistics too when the file wrote a large share of the
            # tables. Each written customer has one number or more: its count stands for both.
            written = self.counts.created + self.counts.updated
            refresh_statistics("contacts_customer", rows_written=written, cursor=cursor)
            refresh_statistics("contacts_phonenumber", rows_written=written, cursor=cursor)
        return super().finish(cursor)

    # ------------------------------------------------------------ bulk loads (initial loads)

    def _is_bulk_load(self, cursor) -> bool:
        """A large file into a table that holds few customers yet (at least BULK_LOAD_MIN_ROWS rows
        and fewer customers stored than a quarter of them, counted up to that bound only) while
        nobody is being called: no stored customer had a call in the last BULK_QUIET_HOURS (the
        call summary on Customer). Locking the customer tables would stop every console and
        dispatch of a working floor."""
        if self.expected_rows < BULK_LOAD_MIN_ROWS:
            return False
        cursor.execute(
            "SELECT (SELECT count(*) FROM (SELECT 1 FROM contacts_customer LIMIT %s) c),"
            " EXISTS (SELECT 1 FROM contacts_customer WHERE last_attempt_at > now() - make_interval(hours => %s))",
            [(self.expected_rows + 3) // 4, BULK_QUIET_HOURS],
        )
        stored, calling = cursor.fetchone()
        return stored * 4 < self.expected_rows and not calling

    def _set_aside_for_bulk_load(self, cursor) -> list[str]:
        """Drop the non-unique indexes of the customer and phone tables, and the phone table's
        foreign key, for the rest of this transaction; return the statements that finish() runs
        to build them again (ADD CONSTRAINT checks every row, so nothing goes unchecked).

        Why the lock is acceptable: DROP INDEX takes an ACCESS EXCLUSIVE lock on both tables until
        the import commits, so nothing reads customers or their numbers meanwhile (about 35 s for
        a million rows on the 2-core machine of README's figures; the index builds at the end are
        a third of it, while the progress bar already shows every row read). This path is only taken for a bulk load —
            a file of at least
        BULK_LOAD_MIN_ROWS rows into a table holding fewer than a quarter of that many customers,
        i.e. the initial load or close to it, when nobody is calling these customers yet — and
        only when the lock is granted within BULK_LOCK_TIMEOUT: on a busy table the import takes
        the normal path instead of making every reader queue behind it. Every other import keeps
        the indexes and writes through them (an index rebuild over a big table to add a few rows
        would cost more than it saves). Unique indexes (primary keys, the customer ID, one number
        per customer) are kept: the upsert relies on them, and they keep checking every row."""
        tables = ["contacts_customer", "contacts_phonenumber"]
        cursor.execute("SHOW lock_timeout")
        lock_timeout = cursor.fetchone()[0]
        try:
            with transaction.atomic():
                cursor.execute("SET LOCAL lock_timeout = %s", [BULK_LOCK_TIMEOUT])
                cursor.execute(f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE")
        except OperationalError:  # lock_timeout: the tables are in use
            logger.info("Import %s: customer tables busy, loading through their indexes", self.job_id)
            return []
        finally:
            cursor.execute("SET LOCAL lock_timeout = %s", [lock_timeout])
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisunique AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
            ORDER BY i.indexrelid
            """,
            [tables],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
        # Each phone row would otherwise fire a check of its customer (a lookup and a row lock).
        cursor.execute(
            """
            SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid)
            FROM pg_constraint WHERE conrelid = 'contacts_phonenumber'::regclass AND contype = 'f'
            ORDER BY oid
            """
        )
        foreign_keys = cursor.fetchall()
        # ALTER TABLE refuses a table with pending deferred checks (rows written earlier in this
        # transaction): run them now; the rest of the import checks at the end of each statement.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, name, _definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        logger.info(
            "Import %s: bulk load, %s indexes and %s foreign keys rebuilt at the end",
            self.job_id,
            len(indexes),
            len(foreign_keys),
        )
        return [definition for _name, definition in indexes] + [
            f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}" for table, name, definition in foreign_keys
        ]

    def apply_chunk(self, cursor, table):
        self.report_errors(cursor, table)
        self.report_invalid_phones(
            cursor,
            table,
            message=_("Not a valid phone number: kept on the customer as entered, marked invalid, and never dialed."),
        )
        valid = self.count_rows(cursor, table)
        if not valid:
            return
        cursor.execute(f"TRUNCATE {self.touched}, {self.phone_touched}, {self.stored}")
        cursor.execute(self.upsert_sql.replace("{table}", table), self.upsert_params)
        cursor.execute(f"ANALYZE {self.touched}")
        if not self.empty_at_start:
            # Rows the upsert neither wrote nor found unchanged: a customer created by someone
            # else after the lookup, that needed no update. Almost always none (an anti-join of
            # two small temp tables); they count as unchanged and get their numbers like the others.
            cursor.execute(
                f"""
                INSERT INTO {self.touched} (id, external_id, inserted, written)
                SELECT c.id, v.t_external_id, false, false
                FROM {table} v CROSS JOIN LATERAL (
                    SELECT c.id FROM contacts_customer c WHERE c.external_id = v.t_external_id OFFSET 0
                ) c
                WHERE v.{VALID} AND NOT EXISTS (SELECT 1 FROM {self.touched} t WHERE t.external_id = v.t_external_id)
                """
            )
        cursor.execute(
            f"SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE written AND NOT inserted), "
            f"count(*) FILTER (WHERE NOT inserted) FROM {self.touched}"
        )
        created, updated, existing = cursor.fetchone()
        if self.phones:
            self._block_erased_numbers(cursor, table)
        if self.phones and self._add_phones(cursor, table, existing=existing):
            # Customers whose only change is a phone number are updated too (and say so in updated_at).
            cursor.execute(
                f"""
                UPDATE contacts_customer c SET updated_at = %(now)s
                WHERE c.id = ANY(ARRAY(
                    SELECT DISTINCT p.customer_id FROM {self.phone_touched} p
                    WHERE NOT EXISTS (SELECT 1 FROM {self.touched} t WHERE t.id = p.customer_id AND t.written)
                ))
                """,
                self.params,
            )
            updated += cursor.rowcount
        self.counts.created += created
        self.counts.updated += updated
        self.counts.unchanged += valid - created - updated

    # Customer column -> SQL over the staged row `v` (NULL when the cell was blank).
    def new_value(self, column: str) -> str | None:
        if column == "name" and not self.mapped("name"):
            parts = [f"v.t_{t}" for t in ("last_name", "first_name") if self.mapped(t)]
            return f"NULLIF(concat_ws(' ', {', '.join(parts)}), '')" if parts else None
        if column == "name_kana" and not self.mapped("name_kana"):
            parts = [f"v.t_{t}" for t in ("last_name_kana", "first_name_kana") if self.mapped(t)]
            return f"NULLIF(concat_ws(' ', {', '.join(parts)}), '')" if parts else None
        if column == "attributes":
            if not self.attributes:
                return None
            # Numbers without leading zeros become JSON numbers; codes like 0012 stay text.
            pairs = [
                f"%(attribute_{n})s::text, CASE WHEN v.{staged.name} ~ '^-?(0|[1-9]\\d{{0,14}})(\\.\\d+)?$' "
                f"THEN to_jsonb(v.{staged.name}::numeric) ELSE to_jsonb(v.{staged.name}) END"
                for n, (_key, staged) in enumerate(self.attributes, 1)
            ]
            return f"jsonb_strip_nulls(jsonb_build_object({', '.join(pairs)}))"
        if column == "external_id" or not self.mapped(column):
            return None
        spec = self.targets[column]
        if spec.kind == "datetime":
            return f"(v.t_{column} AT TIME ZONE %(time_zone)s)"
        if spec.kind == "tags":
            return f"string_to_array(v.t_{column}, %(tag_separator)s)::varchar(50)[]"
        return f"v.t_{column}"

    def _prepare_upsert(self) -> None:
        """Build the chunk upsert once; "{table}" is replaced by each chunk's table."""
        from contacts.models import Customer

        model_fields = [f for f in Customer._meta.concrete_fields if not f.primary_key]
        new_values = {f.column: self.new_value(f.column) for f in model_fields}
        mapped = [column for column, value in new_values.items() if value is not None]
        params = dict(self.params)
        # Final values: the file's, else what is stored, else the model default (new customers);
        # `fresh`: the same for a table that held no customer when this import locked it.
        final, fresh = {}, {}
        for field in model_fields:
            column = field.column
            default = field.get_default()
            if default is None and field.null:
                default_sql = f"NULL::{field.db_type(connection)}"
            else:
                params[f"default_{column}"] = field.get_db_prep_save(default, connection)
                default_sql = f"%(default_{column})s::{field.db_type(connection)}"
            if column == "attributes" and column in mapped:
                final[column] = f"coalesce(c.attributes, {default_sql}) || {new_values[column]}"
                fresh[column] = f"{default_sql} || {new_values[column]}"
            elif column in mapped:
                final[column] = f"coalesce({new_values[column]}, c.{column}, {default_sql})"
                fresh[column] = f"coalesce({new_values[column]}, {default_sql})"
            elif column == "external_id":
                final[column] = fresh[column] = "v.t_external_id"
            elif column in ("created_at", "updated_at"):
                final[column] = fresh[column] = "%(now)s"
            else:
                final[column] = fresh[column] = default_sql
        all_columns = [f.column for f in model_fields]
        column_list = ", ".join(all_columns)
        select_final = ", ".join(f"{final[column]} AS {column}" for column in all_columns)
        select_old = "".join(f", c.{column} AS old_{column}" for column in mapped)
        stored_columns = ", ".join(["c.id", *(f"c.{column}" for column in mapped)])  # what f reads of c
        new_tuple = ", ".join(f"f.{column}" for column in mapped) or "NULL"
        old_tuple = ", ".join(f"f.old_{column}" for column in mapped) or "NULL"
        set_clause = ", ".join(f"{column} = EXCLUDED.{column}" for column in [*mapped, "updated_at"])
        target_tuple = ", ".join(f"contacts_customer.{column}" for column in mapped) or "NULL"
        excluded_tuple = ", ".join(f"EXCLUDED.{column}" for column in mapped) or "NULL"
        # Rows identical to what is stored are not written at all; ON CONFLICT covers a customer
        # created by someone else meanwhile, and updates it only when something differs. Every
        # customer of the chunk lands in `touched`, so the phone statements never look customers
        # up by ID again. The lookup is a LATERAL subquery with OFFSET 0 so that it stays one
        # index probe per row: as a plain join the planner, misled by a table growing inside this
        # transaction, hashes the whole customer table for every chunk.
        changed = f"ROW({new_tuple}) IS DISTINCT FROM ROW({old_tuple})"
        upsert = f"""
                INSERT INTO contacts_customer ({column_list})
                SELECT {column_list} FROM f
                WHERE f.existing_id IS NULL OR {changed}
                ON CONFLICT (external_id) DO UPDATE SET {set_clause}
                WHERE ROW({target_tuple}) IS DISTINCT FROM ROW({excluded_tuple})
                RETURNING id, external_id, (xmax = 0) AS inserted
        """
        if self.restore:
            # A bulk load holds the table's exclusive lock: nobody else can add a customer, so the
            # new ones need no conflict handling (a plain insert, without INSERT … ON CONFLICT's
            # speculative insertion: a second index probe and WAL record per row).
            upsert = f"""
                INSERT INTO contacts_customer ({column_list})
                SELECT {column_list} FROM f WHERE f.existing_id IS NULL
                RETURNING id, external_id, true AS inserted
            ), updated AS (
                UPDATE contacts_customer c SET {set_clause.replace("EXCLUDED.", "f.")}
                FROM f WHERE c.id = f.existing_id AND {changed}
                  AND c.id = ANY(ARRAY(SELECT f.existing_id FROM f WHERE {changed}))  -- by index
                RETURNING c.id, c.external_id, false AS inserted
            ), written AS (
                SELECT * FROM upserted UNION ALL SELECT * FROM updated
            """
        sql = f"""
            WITH f AS (
                SELECT c.id AS existing_id, {select_final}{select_old}
                FROM {{table}} v
                LEFT JOIN LATERAL (
                    SELECT {stored_columns} FROM contacts_customer c WHERE c.external_id = v.t_external_id OFFSET 0
                ) c ON true
                WHERE v.{VALID}
            ), upserted AS ({upsert})
            INSERT INTO {self.touched} (id, external_id, inserted, written)
            SELECT id, external_id, inserted, true FROM {"written" if self.restore else "upserted"}
            UNION ALL
            SELECT existing_id, external_id, false, false FROM f WHERE existing_id IS NOT NULL AND NOT ({changed})
        """
        if self.empty_at_start:
            # The table held no customer when this import locked it, and the reader lets each
            # customer ID through once: every valid row is a new customer, nothing to look up.
            sql = f"""
                WITH upserted AS (
                    INSERT INTO contacts_customer ({column_list})
                    SELECT {", ".join(fresh[column] for column in all_columns)} FROM {{table}} v WHERE v.{VALID}
                    RETURNING id, external_id
                )
                INSERT INTO {self.touched} (id, external_id, inserted, written)
                SELECT id, external_id, true, true FROM upserted
            """
        self.upsert_sql = sql
        self.upsert_params = params

    def _block_erased_numbers(self, cursor, table: str) -> None:
        """A number of the chunk that was erased on request (its hash is on the registry) gets a
        plain do-not-call entry before it is stored: imported again, it stays blocked. Reads the
        chunk's numbers only while some erased number exists."""
        from ..locks import lock_erased_numbers
        from ..services.erasure import HASH_PREFIX, block_erased_numbers

        # Before the check: an erasure in flight commits first (contacts/locks.py).
        lock_erased_numbers(cursor, shared=True)
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM contacts_donotcall WHERE phone_number LIKE %s AND revoked_at IS NULL)",
            [HASH_PREFIX + "%"],
        )
        if not cursor.fetchone()[0]:
            return
        columns = ", ".join(f"(v.{phone.name}_number)" for phone in self.phones)
        cursor.execute(
            f"SELECT DISTINCT x.number FROM {table} v CROSS JOIN LATERAL (VALUES {columns}) AS x(number)"
            f" WHERE v.{VALID} AND x.number IS NOT NULL"
        )
        block_erased_numbers([row[0] for row in cursor.fetchall()])

    def _add_phones(self, cursor, table: str, *, existing: int) -> int:
        """Add the chunk's numbers; `existing`: how many of its customers were stored before.
        Returns how many numbers of those customers were added or changed."""
        phones = self.phones
        entries = []
        for position, phone in enumerate(phones, 1):
            # A number repeated in a later column of the same row is the same phone: skip it.
            earlier = " AND ".join(
                f"v.{phone.name}_number IS DISTINCT FROM v.{p.name}_number" for p in phones[: position - 1]
            )
            number = f"v.{phone.name}_number" if not earlier else f"CASE WHEN {earlier} THEN v.{phone.name}_number END"
            entries.append(f"({position}, v.{phone.name}, {number}, v.{phone.name}_valid, v.{phone.name}_kind)")
        values = f"(VALUES {', '.join(entries)}) AS x(position, raw, number, is_valid, kind)"
        # The row's primary: its first valid number, else its first number.
        primary = (
            "coalesce("
            + ", ".join(
                [f"CASE WHEN v.{p.name}_valid THEN v.{p.name}_number END" for p in phones]
                + [f"v.{p.name}_number" for p in phones]
            )
            + ")"
        )
        columns = "customer_id, number, raw, kind, is_primary, is_valid, created_at"
        values_sql = f"x.number, coalesce(x.raw, ''), x.kind, x.number = {primary}, x.is_valid, %(now)s"
        # New customers have no numbers yet and nobody else can add one before this transaction
        # commits: a plain INSERT, no conflict handling needed.
        cursor.execute(
            f"""
            INSERT INTO contacts_phonenumber ({columns})
            SELECT t.id, {values_sql}
            FROM {table} v
            JOIN {self.touched} t ON t.external_id = v.t_external_id AND t.inserted
            CROSS JOIN LATERAL {values}
            WHERE x.number IS NOT NULL
            """,
            self.params,
        )
        if not existing:
            return 0
        staged_phone_columns = [f"{p.name}{suffix}" for p in phones for suffix in ("", "_number", "_valid", "_kind")]
        # Customers that were already there: add the numbers they do not have yet, and make the
        # file's first valid number their primary (their other numbers stop being primary). Their
        # stored numbers are read once (one index range per customer) into a temp table with
        # statistics, and compared there, so only what differs is written: a re-import of the
        # same file writes nothing.
        cursor.execute(
            f"""
            INSERT INTO {self.stored} (id, customer_id, number, is_primary)
            SELECT p.id, p.customer_id, p.number, p.is_primary
            FROM {self.touched} t CROSS JOIN LATERAL (
                SELECT p.* FROM contacts_phonenumber p WHERE p.customer_id = t.id OFFSET 0
            ) p
            WHERE NOT t.inserted
            """
        )
        cursor.execute(f"ANALYZE {self.stored}")
        cursor.execute(
            f"""
            WITH rows AS MATERIALIZED (
                SELECT t.id AS customer_id, {", ".join(f"v.{c}" for c in staged_phone_columns)}
                FROM {table} v JOIN {self.touched} t ON t.external_id = v.t_external_id AND NOT t.inserted
            ), inserted AS (
                INSERT INTO contacts_phonenumber ({columns})
                SELECT v.customer_id, {values_sql}
                FROM rows v CROSS JOIN LATERAL {values}
                WHERE x.number IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM {self.stored} s WHERE s.customer_id = v.customer_id AND s.number =
                      x.number)
                ON CONFLICT (customer_id, number) DO NOTHING
                RETURNING customer_id
            ), differs AS MATERIALIZED (
                SELECT s.id, s.number = w.number AS is_primary
                FROM {self.stored} s JOIN (
                    SELECT v.customer_id, {primary} AS number FROM rows v WHERE {primary} IS NOT NULL
                ) w ON w.customer_id = s.customer_id
                WHERE s.is_primary IS DISTINCT FROM (s.number = w.number)
            ), made_primary AS (
                UPDATE contacts_phonenumber p SET is_primary = true
                WHERE p.id = ANY(ARRAY(SELECT id FROM differs WHERE is_primary))
                RETURNING p.customer_id
            ), made_secondary AS (
                UPDATE contacts_phonenumber p SET is_primary = false
                WHERE p.id = ANY(ARRAY(SELECT id FROM differs WHERE NOT is_primary))
                RETURNING p.customer_id
            )
            INSERT INTO {self.phone_touched} (customer_id)
            SELECT customer_id FROM inserted
            UNION ALL SELECT customer_id FROM made_primary
            UNION ALL SELECT customer_id FROM made_secondary
            """,
            self.params,
        )
        return cursor.rowcount


# ---------------------------------------------------------------- do-not-call numbers


class DncLoader(TableLoader):
    """Add do-not-call entries (source "import") for numbers and/or customers of the file, each
    audited like a supervisor's entry ("dnc.create").

    An entry is not added when it is already registered (contacts.services.dnc's
    ALREADY_REGISTERED_SQL, the rule register_dnc follows too: an active entry for the same number,
    customer and scope that lasts at least as long), and a number repeated in the file is added
    once: those rows count as unchanged, so importing a list twice adds nothing."""

    kind = "dnc"

    def __init__(self, *, reason: str, campaign_id: int | None, note: str, created_by_id: int | None, **kwargs):
        super().__init__(**kwargs)
        self.params.update({"reason": reason, "campaign": campaign_id, "note": note, "created_by": created_by_id})

    def required(self):
        # Checked in apply_chunk (_report_unusable_numbers) instead of while staging, where the
        # number's cell as typed is at hand: "abc" or "12345" is reported with its value and why.
        return []

    def begin(self, cursor):
        super().begin(cursor)
        # The file's wanted entries, gathered chunk by chunk and added by one statement in
        # finish(): the registry is locked only for that statement and the commit.
        self.wanted = f"import_dnc_wanted_{self.job_id}"
        self.valid_rows = 0
        cursor.execute(f"DROP TABLE IF EXISTS {self.wanted}")
        cursor.execute(
            f"CREATE TEMP TABLE {self.wanted} (phone_number text, customer_id bigint, reason text, note text,"
            " expires_at timestamptz, line integer) ON COMMIT DROP"
        )

    def _report_unusable_numbers(self, cursor, table) -> None:
        """A row needs a number that can be dialed or a customer ID. A row without a customer ID
        whose number is missing, has no digit or cannot be dialed fails, with the cell as typed and
        the reason; a row with a customer ID and such a number registers the customer only, and
        the cell is listed in the error report all the same (as a customer import lists it)."""
        customer = "t_external_id" if self.mapped("external_id") else "NULL::text"
        nothing = _("No phone number or customer ID on this row.")
        if not self.phones:
            header = self.header_of.get("external_id", "")
            self.fail_rows(cursor, table, header=header, value="''", condition=f"{customer} IS NULL", message=nothing)
            return
        phone = self.phones[0]
        raw, number, valid = phone.name, f"{phone.name}_number", f"{phone.name}_valid"
        for condition, value, message in (
            (f"{raw} IS NULL", "''", nothing),
            (
                f"{raw} IS NOT NULL AND {number} IS NULL",
                raw,
                _("Not a phone number (no digit in it): nothing was registered for this row."),
            ),
            (
                f"{number} IS NOT NULL AND {valid} IS FALSE",
                raw,
                _("Not a phone number that can be dialed: nothing was registered for this row."),
            ),
        ):
            self.fail_rows(
                cursor,
                table,
                header=phone.header,
                value=value,
                condition=f"{customer} IS NULL AND {condition}",
                message=message,
            )
        self.report_invalid_phones(
            cursor, table, message=_("Not a phone number that can be dialed: only the customer was registered.")
        )

    def apply_chunk(self, cursor, table):
        """Check the chunk, report its bad rows and set its good ones aside; the registry is not
        locked (operators keep registering requests while a long list is read)."""
        if self.mapped("external_id"):
            self.fail_rows(
                cursor,
                table,
                header=self.header_of["external_id"],
                value="t_external_id",
                condition="t_external_id IS NOT NULL AND NOT EXISTS "
                "(SELECT 1 FROM contacts_customer c WHERE c.external_id = t_external_id)",
                message=_("No customer has this customer ID."),
            )
        if self.mapped("expires_at"):
            self.fail_rows(
                cursor,
                table,
                header=self.header_of["expires_at"],
                value="t_expires_at",
                condition="(t_expires_at AT TIME ZONE %(time_zone)s) <= %(now)s",
                message=_("The expiry date has already passed."),
            )
        self._report_unusable_numbers(cursor, table)
        self.report_errors(cursor, table)
        valid = self.count_rows(cursor, table)
        if not valid:
            return
        self.valid_rows += valid
        # Only a number that can be dialed is registered (_report_unusable_numbers reported the others).
        phone = (
            f"CASE WHEN {self.phones[0].name}_valid THEN {self.phones[0].name}_number END"
            if self.phones
            else "NULL::text"
        )
        customer = (
            "(SELECT c.id FROM contacts_customer c WHERE c.external_id = t_external_id)"
            if self.mapped("external_id")
            else "NULL::bigint"
        )
        reason = "coalesce(t_reason, %(reason)s)" if self.mapped("reason") else "%(reason)s"
        note = "coalesce(t_note, %(note)s)" if self.mapped("note") else "%(note)s"
        expires = "(t_expires_at AT TIME ZONE %(time_zone)s)" if self.mapped("expires_at") else "NULL::timestamptz"
        cursor.execute(
            f"""
            INSERT INTO {self.wanted} (phone_number, customer_id, reason, note, expires_at, line)
            SELECT coalesce({phone}, ''), {customer}, {reason}, {note}, {expires}, line
            FROM {table} WHERE {VALID}
            """,
            self.params,
        )

    def finish(self, cursor):
        """Add what the registry does not hold yet (an entry repeated in the file once: the
        longest-lasting, the first such line), audited, under the registry's batch lock."""
        if self.valid_rows:
            already_registered = ALREADY_REGISTERED_SQL.format(
                at="%(now)s",
                phone="w.phone_number",
                customer="w.customer_id",
                campaign="%(campaign)s::bigint",
                expires="w.expires_at",
            )
            lock_registry_for_a_batch(cursor)
            cursor.execute(
                f"""
                WITH wanted AS (
                    SELECT DISTINCT ON (phone_number, customer_id) *
                    FROM {self.wanted} ORDER BY phone_number, customer_id, expires_at DESC NULLS FIRST, line
                ), added AS (
                    INSERT INTO contacts_donotcall (phone_number, customer_id, campaign_id, reason, source, note,
                                                    created_by_id, created_at, expires_at, revoke_reason)
                    SELECT w.phone_number, w.customer_id, %(campaign)s, w.reason, 'import', w.note,
                           %(created_by)s, %(now)s, w.expires_at, ''
                    FROM wanted w
                    WHERE NOT EXISTS (SELECT 1 FROM contacts_donotcall d WHERE {already_registered})
                    RETURNING id, phone_number, customer_id, reason, note, expires_at
                )
                INSERT INTO callcenter_auditevent (created_at, actor_id, action, object_type, object_id, summary, data)
                SELECT %(now)s, %(created_by)s, 'dnc.create', 'contacts.donotcall', id::text,
                       left(btrim('DNC ' || phone_number || CASE WHEN customer_id IS NULL THEN '' ELSE ' customer ' ||
                           customer_id END), 500),
                       jsonb_build_object('phone_number', phone_number, 'customer_id', customer_id,
                                          'campaign_id', %(campaign)s::bigint, 'reason', reason, 'source', 'import',
                                          'expires_at', expires_at, 'note', note, 'import_job', %(job)s::bigint)
                FROM added
                """,
                self.params,
            )
            created = cursor.rowcount
            self.counts.created += created
            self.counts.unchanged += self.valid_rows - created
            # Each added entry wrote one audit event too.
            refresh_statistics("contacts_donotcall", rows_written=created, cursor=cursor)
            refresh_statistics("callcenter_auditevent", rows_written=created, cursor=cursor)
        return super().finish(cursor)
