"""Run a loader as a two-stage pipeline, so both cores work:

    reader thread (Python only)                     this thread, one connection, one transaction
    file → checks, conversions → chunk 1  ────────► COPY chunk 1 into a TEMP table, apply it
           checks, conversions → chunk 2  ────────► COPY chunk 2, apply it
           …                                        …  → finish(counts) → commit

While this thread waits for PostgreSQL (psycopg2 releases the GIL), the reader prepares the next
chunk. Everything the import writes happens in the one transaction, so a run that fails part
way loads nothing; TEMP tables need no cleanup beyond the DROP after each chunk."""

import gc
import queue
import threading
from contextlib import contextmanager

from django.db import connection, transaction
from django.utils import translation

_DONE = object()


def run_pipeline(*, loader, rows, on_progress, finish):
    """Read `rows` with `loader` in a thread while applying each chunk here. `on_progress(rows)`
    runs in the reader thread (its own autocommit connection, so the page sees it while the import's
    transaction is open); `finish(counts)` runs last inside the transaction and may roll it back.
    Returns finish's result."""
    with _fewer_cycle_collections():
        return _run_pipeline(loader=loader, rows=rows, on_progress=on_progress, finish=finish)


@contextmanager
def _fewer_cycle_collections():
    """Python's cycle collector runs far less often during the run: the reader holds a chunk of a
    hundred thousand rows (two million strings in lists), and with the default thresholds the
    collector rescanned them over and over, a third of the reader's CPU. It still runs (switched
    off, the cyclic garbage of a million-row run held ~400 MB more), and the thresholds are
    restored when the import ends."""
    thresholds = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def _run_pipeline(*, loader, rows, on_progress, finish):
    chunks: queue.Queue = queue.Queue(maxsize=2)  # bounds memory: at most ~2 chunks read ahead
    stop = threading.Event()
    language = translation.get_language()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                chunks.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def read():
        from django.db import connection as reader_connection

        try:
            with translation.override(language):
                for batches, rows_read in loader.staged_chunks(rows):
                    if not put(batches):
                        return
                    on_progress(rows_read)
            put(_DONE)
        except BaseException as error:  # noqa: BLE001 - handed to the applying thread, which re-raises it
            put(error)
        finally:
            reader_connection.close()

    reader = threading.Thread(target=read, name=f"import-reader-{loader.job_id}", daemon=True)
    reader.start()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            loader.begin(cursor)
            number = 0
            while (item := chunks.get()) is not _DONE:
                if isinstance(item, BaseException):
                    raise item
                number += 1
                table = loader.copy_chunk(cursor, number, item)
                loader.apply_chunk(cursor, table)
                cursor.execute(f"DROP TABLE {table}")
            return finish(loader.finish(cursor))
    finally:
        stop.set()
        reader.join()
