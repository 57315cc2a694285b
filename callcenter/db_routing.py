"""Reads that may go to a read replica, and everything else to the primary.

With `DATABASE_REPLICA_URL` set, the database alias "replica" is a streaming replica (a hot
standby) of the primary. The heavy read-only pages and API calls listed in `REPLICA_READ_VIEWS`
(dashboards, KPI API, reports, exports, segment counts and previews, customer search) read the
product's tables there; every write, and everything that decides a call (dispatch, outcomes, list
builds, do-not-call checks), reads and writes the primary, as does any read made inside a
transaction of the primary (it must see its own writes).

The replica is used only while it is usable: it answers, it is in recovery (a standby, not a
promoted server) and it lags no more than `REPLICA_MAX_LAG_SECONDS` behind what it received. The
check runs at most every `REPLICA_CHECK_SECONDS` per process; a view whose replica read fails
(the standby stopped since the last check) is marked down and the view runs again on the primary.
`/healthz` reports the state and the lag (`replica_health`)."""

import contextlib
import math
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.urls import Resolver404, resolve

PRIMARY = "default"
REPLICA = "replica"

# Apps whose tables the replica serves; sessions, users, API tokens and the audit trail always come
# from the primary (a session or token written a moment ago may not have reached the replica yet).
REPLICA_APPS = frozenset({"contacts", "campaigns", "scripts"})

# URL names of the views that only read (pages, CSV exports, API calls).
REPLICA_READ_VIEWS = frozenset(
    {
        # KPI dashboard, wallboard, client view and their CSV exports; the KPI API
        "campaigns:dashboard",
        "campaigns:wallboard",
        "campaigns:wallboard_panel",
        "campaigns:client_kpis",
        "campaigns:kpi_export",
        "api_kpis",
        # script reports
        "campaigns:script_version_report",
        "campaigns:script_survey_results",
        "campaigns:script_survey_csv",
        "api_survey_results",
        "api_script_kpis",
        # customer search and exports
        "contacts:customer_list",
        "contacts:customer_export",
        "customer-list",
        "campaigns:list_export",
        # segment counts and previews
        "contacts:segment_count",
        "contacts:segment_preview",
        "segment-count",
        "segment-preview",
    }
)

# The replica's lag: none while it has replayed everything it received, else the age of the last
# transaction it replayed. A standby that is not streaming from its primary is stale however small
# that figure is.
LAG_SQL = """
SELECT pg_is_in_recovery(),
       EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming'),
       CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
            ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
       END::float8
"""


@dataclass(frozen=True)
class ReplicaState:
    usable: bool
    lag_seconds: float | None  # None when unknown (down)
    problem: str = ""  # why it is not usable


_reading_from_replica: ContextVar[bool] = ContextVar("reading_from_replica", default=False)
_state_lock = threading.Lock()
_state: ReplicaState | None = None
_checked_at = -math.inf


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextlib.contextmanager
def replica_reads():
    """Reads of the product's tables inside this block may go to the replica."""
    token = _reading_from_replica.set(True)
    try:
        yield
    finally:
        _reading_from_replica.reset(token)


@contextlib.contextmanager
def primary_reads():
    """Reads inside this block go to the primary, even inside `replica_reads`."""
    token = _reading_from_replica.set(False)
    try:
        yield
    finally:
        _reading_from_replica.reset(token)


def measure_replica() -> ReplicaState:
    """Ask the replica now whether it can serve reads, and how far behind it is."""
    replica = connections[REPLICA]
    try:
        with replica.cursor() as cursor:
            cursor.execute(LAG_SQL)
            in_recovery, streaming, lag = cursor.fetchone()
    except DatabaseError as exc:
        replica.close()
        return ReplicaState(False, None, f"unreachable: {exc.__class__.__name__}")
    if not in_recovery:
        return ReplicaState(False, lag, "not a standby (promoted?)")
    if not streaming:
        return ReplicaState(False, lag, "not streaming from the primary")
    if lag > settings.REPLICA_MAX_LAG_SECONDS:
        return ReplicaState(False, lag, f"lags {lag:.1f} s (more than {settings.REPLICA_MAX_LAG_SECONDS} s)")
    return ReplicaState(True, lag)


def replica_state(*, fresh: bool = False) -> ReplicaState:
    """The replica's state, measured at most every REPLICA_CHECK_SECONDS in this process."""
    global _state, _checked_at
    with _state_lock:
        if fresh or _state is None or time.monotonic() - _checked_at >= settings.REPLICA_CHECK_SECONDS:
            _state = measure_replica()
            _checked_at = time.monotonic()
        return _state


def mark_replica_down(problem: str) -> None:
    global _state, _checked_at
    with _state_lock:
        _state = ReplicaState(False, None, problem)
        _checked_at = time.monotonic()
    connections[REPLICA].close()


def read_alias() -> str:
    """The alias a read of the product's tables goes to, here and now."""
    if not _reading_from_replica.get() or not replica_configured():
        return PRIMARY
    if connections[PRIMARY].in_atomic_block:
        return PRIMARY  # a transaction of the primary reads its own writes
    return REPLICA if replica_state().usable else PRIMARY


def read_connection():
    """The connection raw SQL of a read-only selector runs on (see read_alias)."""
    return connections[read_alias()]


class PrimaryReplicaRouter:
    """DATABASE_ROUTERS entry: writes and migrations on the primary, reads as read_alias says."""

    def db_for_read(self, model, **hints):
        if model._meta.app_label in REPLICA_APPS:
            return read_alias()
        return PRIMARY

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # both aliases hold the same database

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


def replica_health() -> dict:
    """For /healthz: {"replica": "ok" or why not, "replica_lag_seconds": float or None}."""
    state = replica_state(fresh=True)
    lag = None if state.lag_seconds is None else round(state.lag_seconds, 3)
    return {"replica": "ok" if state.usable else f"error: {state.problem}", "replica_lag_seconds": lag}


class ReplicaReadsMiddleware:
    """Runs the views of REPLICA_READ_VIEWS inside `replica_reads`. When a read fails there (the
    replica stopped since the last check: it is marked down; or it cancelled a query that
    conflicted with recovery) the view runs again on the primary: these views only read, so
    running one twice changes nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_configured() or not self._reads_only(request):
            return self.get_response(request)
        with replica_reads():
            response = self.get_response(request)
        if getattr(response, "streaming", False):
            response.streaming_content = self._streamed_in_replica_reads(response.streaming_content)
        return response

    @staticmethod
    def _reads_only(request) -> bool:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return match.view_name in REPLICA_READ_VIEWS

    @staticmethod
    def _streamed_in_replica_reads(chunks):
        # A CSV export runs its queries while the response streams, after __call__ returned.
        iterator = iter(chunks)
        while True:
            with replica_reads():
                try:
                    chunk = next(iterator)
                except StopIteration:
                    return
            yield chunk

    def process_view(self, request, view_func, view_args, view_kwargs):
        request._replica_view = (view_func, view_args, view_kwargs)

    def process_exception(self, request, exception):
        if not (_reading_from_replica.get() and isinstance(exception, (OperationalError, InterfaceError))):
            return None
        if not hasattr(request, "_replica_view"):
            return None
        if not connections[REPLICA].is_usable():
            mark_replica_down(f"failed during a request: {exception.__class__.__name__}")
        # Else the replica answers but cancelled the query (a conflict with recovery) or the
        # primary failed: once more on the primary either way.
        view_func, view_args, view_kwargs = request._replica_view
        with primary_reads():
            response = view_func(request, *view_args, **view_kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
        return response
