"""The one way to write the audit trail, and the words the audit page shows for it."""

import json

from django.apps import apps
from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .history import audit_redaction
from .models import AuditEvent

# What each recorded action means, in the reader's language (the trail stores the code).
# test_audit checks every action the code records has a label here.
ACTION_LABELS = {
    "appointment.booked": _("Appointment booked"),
    "appointments.page_read": _("Appointments read through the API (one page)"),
    "appointment.status": _("Appointment outcome changed"),
    "appointment.rescheduled": _("Appointment rescheduled"),
    "salesperson.created": _("Salesperson added"),
    "salesperson.updated": _("Salesperson changed"),
    "salesperson.feed_renewed": _("Salesperson's calendar address renewed"),
    "campaign.activate": _("Campaign started"),
    "campaign.pause": _("Campaign paused"),
    "campaign.finish": _("Campaign finished"),
    "campaign.created": _("Campaign created"),
    "campaign.updated": _("Campaign changed"),
    "campaign.start_blocked": _("Campaign start refused"),
    "campaign.outcome_added": _("Outcome added to a campaign"),
    "campaign.outcome_key_changed": _("Key of a campaign's outcome changed"),
    "campaign.outcome_removed": _("Outcome removed from a campaign"),
    "campaign.script_variant_added": _("Script variant added"),
    "campaign.script_variant_moved": _("Script variant moved"),
    "campaign.script_variant_removed": _("Script variant removed"),
    "customer.create": _("Customer created"),
    "customer.update": _("Customer changed"),
    "customer.phone_marked_wrong": _("Number marked wrong during a call"),
    "customer.phone_added": _("Number added during a call"),
    "customer.note_added": _("Note added during a call"),
    "auth.login": _("Signed in"),
    "auth.logout": _("Signed out"),
    "auth.login_failed": _("Sign-in failed"),
    "user.groups_changed": _("Role changed"),
    "user.created": _("User account created"),
    "user.updated": _("User account changed"),
    "user.password_reset": _("Password reset by a supervisor"),
    "user.deactivated": _("User account deactivated"),
    "user.reactivated": _("User account reactivated"),
    "users.imported": _("User accounts imported"),
    "admin.addition": _("Added in the admin site"),
    "admin.change": _("Changed in the admin site"),
    "admin.deletion": _("Deleted in the admin site"),
    "campaign.client_viewers_changed": _("Client viewers of a campaign changed"),
    "import.errors_downloaded": _("Import error report downloaded"),
    "audit.export": _("Audit trail exported"),
    "customers.export": _("Customers exported"),
    "customers.tagged": _("Tag added to many customers"),
    "customers.dnc_registered": _("Many customers put on do-not-call"),
    "customers.page_read": _("Customers read through the API (one page)"),
    "export.customers": _("Customers exported"),
    "export.survey_results": _("Survey results exported"),
    "export.compliance": _("Compliance report exported"),
    "customer.erased": _("Customer erased on request"),
    "audit.redacted": _("Personal data removed from audit events (erasure)"),
    "uploads.erased": _("Erased customer's rows removed from kept import files"),
    "kpis.export": _("KPIs exported"),
    "dispatch.release_hold": _("Held call released"),
    "agent.signed_off_logout": _("Operator signed off at logout"),
    "auth.two_factor_enrolled": _("Two-factor sign-in set up"),
    "auth.two_factor_reset": _("Two-factor sign-in reset"),
    "auth.recovery_codes_renewed": _("New recovery codes made"),
    "auth.recovery_code_used": _("Signed in with a recovery code"),
    "auth.signed_out_everywhere": _("Signed out everywhere"),
    "agent.signed_off_absent": _("Operator signed off after no contact"),
    "agent.signed_off_by_supervisor": _("Operator signed off by a supervisor"),
    "disposition.created": _("Outcome created"),
    "disposition.updated": _("Outcome changed"),
    "dnc.create": _("Do-not-call registered"),
    "dnc.revoke": _("Do-not-call revoked"),
    "dnc.export": _("Do-not-call registry exported"),
    "import.start": _("Import started"),
    "integration.created": _("Integration account created"),
    "import.done": _("Import finished"),
    "import.failed": _("Import failed"),
    "import.files_deleted": _("Uploaded files of past imports deleted (retention)"),
    "list.build_requested": _("Call list build requested"),
    "list.built": _("Call list built"),
    "list.pause": _("Call list paused"),
    "list.resume": _("Call list resumed"),
    "list.close": _("Call list closed"),
    "list.exported": _("Call list exported"),
    "list.entries_page_read": _("Call list entries read through the API (one page)"),
    "list.recycled": _("Call list recycled"),
    "list.entry_added": _("Customer added to a call list by hand"),
    "list.entry_cancelled": _("Entry removed from a call list"),
    "callback.reassigned": _("Callback reassigned"),
    "callback.moved": _("Callback moved"),
    "callbacks.page_read": _("Callbacks read through the API (one page)"),
    "operator.skills": _("Operator skills changed"),
    "policy.created": _("Calling policy created"),
    "policy.updated": _("Calling policy changed"),
    "debt.imported": _("Debts imported"),
    "debt.page_read": _("Debts read through the API (one page)"),
    "disclosure.confirmed": _("Disclosure wording confirmed"),
    "debt.promise_resolved": _("Promise to pay marked paid or broken"),
    "debt.saved": _("Debt saved"),
    "prenotice.imported": _("Pre-notices imported"),
    "prenotice.recorded": _("Pre-notice recorded"),
    "script.created": _("Talk script created"),
    "script.updated": _("Talk script changed"),
    "script.deleted": _("Talk script deleted"),
    "script.imported": _("Talk script imported"),
    "script.published": _("Talk script published"),
    "script.draft_started": _("Script draft started"),
    "script.draft_discarded": _("Script draft discarded"),
    "script.step_deleted": _("Script step deleted"),
    "script.choice_step_added": _("Script step added for a choice"),
    "script.rebuttal_added": _("Rebuttal added"),
    "script.rebuttal_changed": _("Rebuttal changed"),
    "script.rebuttal_deleted": _("Rebuttal deleted"),
    "segment.create": _("Segment created"),
    "token.created": _("API token created"),
    "token.revoked": _("API token revoked"),
    "segment.update": _("Segment changed"),
    "segment.delete": _("Segment deleted"),
}


def m2m_change(action: str, pk_set) -> str | None:
    """ "added", "removed" or "cleared" for an m2m_changed signal worth an audit event; None for the
    pre_ signals and for Django's add of rows that were already there (an empty pk_set)."""
    if action not in ("post_add", "post_remove", "post_clear") or (action != "post_clear" and not pk_set):
        return None
    return {"post_add": "added", "post_remove": "removed", "post_clear": "cleared"}[action]


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def object_label(object_type: str) -> str:
    """The model's own name ("do-not-call entry") for a stored "app.model" label."""
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return object_type


def record_event(
    *, actor, action: str, target=None, object_type: str = "", object_id: str = "", summary: str = "", **data
) -> AuditEvent:
    """Append an audit event. `target` is any model instance the event is about (or, for one that
    is gone, `object_type` "app.model" and `object_id`)."""
    if target is not None:
        object_type = target._meta.label_lower
        object_id = str(target.pk)
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=summary[:500],
        data=data,
    )


# ------------------------------------------------------------------ erasure: the one rewrite allowed

REDACTED = "[erased]"
# Keys of an event's details that hold free text about the person (a do-not-call note, a note added
# during a call, an admin change message): emptied whatever they say.
FREE_TEXT_KEYS = frozenset({"note", "notes", "text", "change_message"})
# Values shorter than this are not searched for (a one-letter name would rewrite half the trail).
MIN_REDACTED_LENGTH = 2


def _redacted(value, replacements: list[tuple[str, str]], key: str = ""):
    if isinstance(value, dict):
        return {k: _redacted(v, replacements, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v, replacements, key) for v in value]
    if isinstance(value, str):
        if key in FREE_TEXT_KEYS and value:
            return REDACTED
        for old, new in replacements:
            value = value.replace(old, new)
    return value


def redact_events(
    *, targets: dict[str, set], replacements: dict[str, str], marker: str, by, about: tuple[str, str] = ("", "")
) -> int:
    """Replace, in the summary and the details of every audit event about one of `targets`
    ({"app.model": {ids}}, read through the (object_type, object_id) index), each occurrence of a
    key of `replacements` by its value (an erased number by its hash, a name by a placeholder);
    free-text details (FREE_TEXT_KEYS) are emptied. Each rewritten event carries "redacted_for":
    `marker`; the admin site's own log of those objects loses its labels the same way. The months
    of the trail moved to the archive schema (callcenter.partitions.archived_months, read from the
    catalog now) are rewritten the same way, through the same trigger, which the archived tables
    carry. One UPDATE per table, then an `audit.redacted` event about `about` ("app.model", id):
    who, when, how many. Returns how many events were rewritten.
    Only a personal-data erasure calls this (callcenter.history.audit_redaction)."""
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    pairs = sorted(
        ((old, new) for old, new in replacements.items() if old and len(old) >= MIN_REDACTED_LENGTH),
        key=lambda pair: -len(pair[0]),  # "090-1234-0001" before "1234"
    )
    concerned = Q(pk__in=[])
    for object_type, ids in targets.items():
        if ids:
            concerned |= Q(object_type=object_type, object_id__in=sorted(str(pk) for pk in ids))
    live = AuditEvent.objects.filter(concerned).values_list("pk", "summary", "data")
    found = {AuditEvent._meta.db_table: list(live), **_archived_events(targets)}
    rows_by_table = {}
    for table, events in found.items():
        for pk, summary, data in events:
            data = _redacted(data if isinstance(data, dict) else {"value": data}, pairs)
            data["redacted_for"] = marker
            rows_by_table.setdefault(table, []).append((pk, _redacted(summary, pairs)[:500], json.dumps(data)))
    rewritten = sum(len(rows) for rows in rows_by_table.values())
    with audit_redaction(marker):
        with connection.cursor() as cursor:
            for table, rows in rows_by_table.items():
                cursor.execute(
                    f"UPDATE {table} e SET summary = r.summary, data = r.data::jsonb"
                    " FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS r(id, summary, data) WHERE e.id = r.id",
                    [list(column) for column in zip(*rows, strict=True)],
                )
        for object_type, ids in targets.items():
            app_label, _dot, model = object_type.partition(".")
            content_type = ContentType.objects.filter(app_label=app_label, model=model).first()
            if content_type is None or not ids:
                continue
            LogEntry.objects.filter(content_type=content_type, object_id__in=[str(pk) for pk in ids]).update(
                object_repr=REDACTED, change_message=""
            )
        record_event(
            actor=by,
            action="audit.redacted",
            object_type=about[0],
            object_id=str(about[1]),
            summary=f"{marker}: {rewritten}",
            redaction=marker,
            events=rewritten,
            archived_events=rewritten - len(rows_by_table.get(AuditEvent._meta.db_table, [])),
        )
    return rewritten


def _archived_events(targets: dict[str, set]) -> dict[str, list]:
    """{qualified table: [(id, summary, data)]}: the events about `targets` in the months of the
    trail moved to the archive schema, in one statement (each archived month keeps the
    (object_type, object_id) index it had as a partition: one index probe per object and month)."""
    from .partitions import archived_months

    keys = [(object_type, str(pk)) for object_type, ids in sorted(targets.items()) for pk in sorted(ids, key=str)]
    with connection.cursor() as cursor:
        tables = list(archived_months(cursor, AuditEvent._meta.db_table).values())
        if not tables or not keys:
            return {}
        reads = " UNION ALL ".join(
            f"SELECT %s::text, e.id, e.summary, e.data FROM {table} e JOIN concerned k"
            " ON e.object_type = k.object_type AND e.object_id = k.object_id"
            for table in tables
        )
        types, ids = [key[0] for key in keys], [key[1] for key in keys]
        cursor.execute(
            "WITH concerned AS MATERIALIZED (SELECT * FROM unnest(%s::text[], %s::text[]) AS k(object_type, object_id))"
            f" {reads}",
            [types, ids, *tables],
        )
        found = {}
        for table, pk, summary, data in cursor.fetchall():
            found.setdefault(table, []).append((pk, summary, json.loads(data) if isinstance(data, str) else data))
        return found
