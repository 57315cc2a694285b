"""Demo call history: six weeks of attempts for the demo campaigns' lists, the agent-state logs of
the demo operators on those days, and the do-not-call requests some calls ended with. KPI pages
and dashboards read it.

Realistic on purpose: calls only on working days (Monday-Saturday, no Japanese holidays) between
09:00 and 20:00 Tokyo time outside the breaks, each entry tried at most three times at least a
week apart; customers answer more in the evening (18:00-20:00) and on Saturdays, less early in
the morning. Operators' days are ready / on call / after-call work / break intervals that add up.

Set-based (a few INSERT … SELECT statements) and idempotent: every demo attempt carries a
client_token "demo-h-<entry>-<n>", so a second run inserts nothing and recomputes the same entry
states; state logs are only written for days an operator has none.
"""

import datetime as dt
import re

from django.db import connection, transaction
from django.utils import timezone

from contacts.services.history import rebuild_call_summaries

from ..models import CallList, Campaign, Disposition
from ..services.scheduling import holiday_name

DAYS = 42
TOKEN = "demo-h-"
# Share of each list (best ranks first) that already has a history, by campaign status.
SHARE = {Campaign.Status.ACTIVE: 0.55, Campaign.Status.PAUSED: 0.7, Campaign.Status.FINISHED: 1.0}
# Working minutes of an operator's day (Tokyo time): 09:00-12:00, 13:00-15:30, 15:45-20:00.
WORK_BLOCKS = [(9 * 60, 12 * 60), (13 * 60, 15 * 60 + 30), (15 * 60 + 45, 20 * 60)]
BREAKS = [(12 * 60, 13 * 60, "lunch"), (15 * 60 + 30, 15 * 60 + 45, "rest")]
NOTES = {
    "success": [
        "定期便の再開に同意。次回発送日を案内済み。",
        "新商品のお試しセットを注文。",
        "キャンペーン価格で2箱購入。",
    ],
    "callback": ["夕方なら話せるとのこと。", "家族と相談してから返事したい。", "今は運転中、明日かけ直し希望。"],
    "refused": ["今は必要ないとのこと。", "他社製品を使っている。", "値段が高いので不要。"],
    "hung_up": ["名乗った直後に切断。"],
    "dnc_request": ["今後の電話は不要と強い口調で。", "電話での案内はすべて断りたいとのこと。"],
    "wrong_person": ["ご家族が応答。本人は別居とのこと。"],
}


def _workdays(today: dt.date) -> list[dt.date]:
    """The last DAYS days that are Monday-Saturday and not Japanese public holidays."""
    from ..models import CallingPolicy

    calendar = CallingPolicy(skip_holidays=True, holiday_country="JP")
    days = [today - dt.timedelta(days=offset) for offset in range(DAYS, 0, -1)]
    return [day for day in days if day.weekday() < 6 and holiday_name(calendar, day) is None]


# A call (with its after-call work) lasts at most about 12 minutes: calls start early enough in
# each block to end before the break.
LONGEST_CALL_MINUTES = 12
CALL_START_BLOCKS = [(start, end - LONGEST_CALL_MINUTES) for start, end in WORK_BLOCKS]


def _minute_to_clock_sql(position: str) -> str:
    """SQL mapping a position 0..total-1 in the call-start minutes to minutes after midnight."""
    parts, offset = [], 0
    for start, end in CALL_START_BLOCKS:
        length = end - start
        parts.append(f"WHEN {position} < {offset + length} THEN {start} + ({position} - {offset})")
        offset += length
    return "CASE " + " ".join(parts) + f" ELSE {CALL_START_BLOCKS[-1][1] - 1} END"


def seed(*, users: dict, stdout) -> None:
    operators = [user.pk for name, user in sorted(users.items()) if name.startswith("operator")]
    lists = list(
        CallList.objects.filter(campaign__status__in=list(SHARE), entries__isnull=False)
        .distinct()
        .select_related("campaign")
    )
    if not operators or not lists:
        stdout.write("campaigns.demo.history: no demo lists or operators yet, nothing to add")
        return
    today = timezone.localdate()
    workdays = _workdays(today)
    codes = dict(Disposition.objects.values_list("code", "id"))
    with transaction.atomic():
        created = _insert_attempts(lists=lists, operators=operators, workdays=workdays, codes=codes)
        _update_entries()
        dnc = _register_dnc_requests(codes=codes)
        logs = _insert_state_logs(operators=operators, today=today)
        rebuild_call_summaries(
            attempts_sql="""
            SELECT a.customer_id, a.started_at, d.code AS disposition_code, a.reaction, d.is_contact AS reached
            FROM campaigns_callattempt a JOIN campaigns_disposition d ON d.id = a.disposition_id
            WHERE a.customer_id IN (SELECT customer_id FROM campaigns_callattempt WHERE client_token LIKE 'demo-h-%%')
        """
        )
    stdout.write(
        f"campaigns.demo.history: {created} attempts, {dnc} do-not-call requests, {logs} state intervals added"
    )


def _insert_attempts(*, lists, operators, workdays, codes) -> int:
    total_minutes = sum(end - start for start, end in CALL_START_BLOCKS)
    share_case = (
        "CASE k.status " + " ".join(f"WHEN '{status}' THEN {share}" for status, share in SHARE.items()) + " END"
    )
    notes_case = (
        "CASE d.code "
        + " ".join(
            f"WHEN '{code}' THEN (ARRAY[{', '.join(repr(n) for n in texts)}])[1 + abs(h3) % {len(texts)}]"
            for code, texts in NOTES.items()
        )
        + " ELSE '' END"
    )
    # Contact probability (percent) by Tokyo hour and weekday: evenings and Saturdays answer more.
    contact_pct = (
        "(18 + CASE WHEN hour >= 18 THEN 22 WHEN hour >= 17 THEN 10 WHEN hour < 10 THEN -6 ELSE 0 END"
        " + CASE WHEN isodow = 6 THEN 20 ELSE 0 END)"
    )
    contact_pick = (
        f"CASE WHEN abs(h2) % 100 < 25 THEN {codes['success']} WHEN abs(h2) % 100 < 47 THEN {codes['callback']}"
        f" WHEN abs(h2) % 100 < 67 THEN {codes['refused']} WHEN abs(h2) % 100 < 80 THEN {codes['hung_up']}"
        f" WHEN abs(h2) % 100 < 88 THEN {codes['wrong_person']} WHEN abs(h2) % 100 < 93 THEN {codes['dnc_request']}"
        f" ELSE {codes['success']} END"
    )
    silent_pick = (
        f"CASE WHEN abs(h2) % 100 < 62 THEN {codes['no_answer']} WHEN abs(h2) % 100 < 80 THEN {codes['voicemail']}"
        f" WHEN abs(h2) % 100 < 96 THEN {codes['busy']} ELSE {codes['invalid_number']} END"
    )
    sql = f"""
    WITH lists AS (
        SELECT l.id, l.campaign_id, c.status,
               (SELECT count(*) FROM campaigns_calllistentry x WHERE x.call_list_id = l.id) AS size
        FROM campaigns_calllist l JOIN campaigns_campaign c ON c.id = l.campaign_id
        WHERE l.id = ANY(%(lists)s)
    ),
    chosen AS (
        SELECT e.id AS entry_id, e.call_list_id, e.campaign_id, e.customer_id, e.phone,
               1 + abs(hashtext(e.id::text || ':n')) % 3 AS planned,
               abs(hashtext(e.id::text || ':d')) % 10 AS first_day
        FROM campaigns_calllistentry e JOIN lists k ON k.id = e.call_list_id
        WHERE e.rank <= ceil(k.size * {share_case}) AND e.status <> 'held'
    ),
    tries AS (
        SELECT ch.*, n,
               -- attempts about 8 working days apart
               %(workdays)s::date[] AS days, first_day + (n - 1) * 8 AS day_index
        FROM chosen ch CROSS JOIN generate_series(1, 3) n
        WHERE n <= ch.planned
    ),
    placed AS (
        SELECT t.*, t.days[1 + t.day_index] AS day,
               (%(operators)s::bigint[])[1 + abs(hashtext(t.entry_id::text || ':' || t.n || ':o')) %%
                   %(operator_count)s] AS operator_id
        FROM tries t WHERE t.day_index < array_length(t.days, 1)
    ),
    slotted AS (
        -- Spread each operator's calls of a day evenly over the working minutes, in a stable order.
        SELECT p.*, row_number() OVER w - 1 AS slot, count(*) OVER (PARTITION BY p.operator_id, p.day) AS calls_that_day
        FROM placed p
        WINDOW w AS (PARTITION BY p.operator_id, p.day ORDER BY hashtext(p.entry_id::text || ':' || p.n || ':s'))
    ),
    timed AS (
        SELECT s.*,
               (s.day::timestamp + make_interval(mins =>
                   ({_minute_to_clock_sql(f"(s.slot * {total_minutes} / s.calls_that_day)")})::int,
                                                 secs => abs(hashtext(s.entry_id::text || ':' || s.n || ':j')) %% 60))
                   AT TIME ZONE 'Asia/Tokyo' AS started_at
        FROM slotted s
    ),
    judged AS (
        SELECT t.*, hashtext(t.entry_id::text || ':' || t.n || ':c') AS h1, hashtext(t.entry_id::text || ':' || t.n ||
        ':p') AS h2,
               hashtext(t.entry_id::text || ':' || t.n || ':t') AS h3,
               extract(hour FROM t.started_at AT TIME ZONE 'Asia/Tokyo')::int AS hour,
               extract(isodow FROM t.started_at AT TIME ZONE 'Asia/Tokyo')::int AS isodow
        FROM timed t
    ),
    decided AS (
        SELECT j.*, CASE WHEN abs(h1) %% 100 < {contact_pct} THEN {contact_pick} ELSE {silent_pick} END AS
        disposition_id
        FROM judged j
    ),
    kept AS (
        -- Stop after the first attempt that closed the entry, and call nobody again, in any
        -- campaign, after they asked not to be called (rule 1 holds in the demo history too).
        SELECT x.* FROM (
            SELECT dd.*, min(CASE WHEN d.is_final OR d.adds_dnc THEN dd.n END) OVER (PARTITION BY dd.entry_id) AS
            closed_at_n,
                   min(CASE WHEN d.adds_dnc THEN dd.started_at END) OVER (PARTITION BY dd.customer_id) AS opted_out_at
            FROM decided dd JOIN campaigns_disposition d ON d.id = dd.disposition_id
        ) x WHERE (x.closed_at_n IS NULL OR x.n <= x.closed_at_n)
              AND (x.opted_out_at IS NULL OR x.started_at <= x.opted_out_at)
    )
    , inserted AS (
    INSERT INTO campaigns_callattempt
        (entry_id, call_list_id, campaign_id, customer_id, operator_id, phone, attempt_number, started_at,
         answered_at, ended_at, talk_seconds, hold_seconds, acw_seconds, disposition_id, reaction, notes,
         callback_at, callback_personal, script_version_id, answers, client_token, created_at, disclosure_confirmed)
    SELECT k.entry_id, k.call_list_id, k.campaign_id, k.customer_id, k.operator_id, k.phone, k.n, k.started_at,
           CASE WHEN d.is_contact THEN k.started_at + make_interval(secs => 12 + abs(k.h3) %% 14) END,
           k.started_at + make_interval(secs => CASE WHEN d.is_contact THEN 26 + 45 + abs(k.h3) %% 480 ELSE 25 +
               abs(k.h3) %% 20 END),
           CASE WHEN d.is_contact THEN 45 + abs(k.h3) %% 480 ELSE 0 END,
           CASE WHEN d.is_contact AND abs(k.h2) %% 4 = 0 THEN 10 + abs(k.h1) %% 50 ELSE 0 END,
           CASE WHEN d.is_contact THEN 40 + abs(k.h1) %% 100 ELSE 8 + abs(k.h1) %% 20 END,
           k.disposition_id,
           CASE d.code WHEN 'success' THEN (ARRAY['interested', 'listened'])[1 + abs(k.h3) %% 2]
                       WHEN 'callback' THEN (ARRAY['busy_now', 'listened', 'neutral'])[1 + abs(k.h3) %% 3]
                       WHEN 'refused' THEN (ARRAY['neutral', 'irritated'])[1 + abs(k.h3) %% 2]
                       WHEN 'hung_up' THEN 'hung_up' WHEN 'dnc_request' THEN 'irritated' ELSE '' END,
           CASE WHEN d.is_contact THEN {notes_case} ELSE '' END,
           CASE WHEN d.code = 'callback' THEN date_trunc('hour', k.started_at) + interval '1 day 2 hours' END,
           d.code = 'callback' AND abs(k.h3) %% 3 = 0,
           NULL, '{{}}'::jsonb, '{TOKEN}' || k.entry_id || '-' || k.n, now(),
           d.is_contact  -- the operators of the demo state the disclosure on every conversation
    FROM kept k JOIN campaigns_disposition d ON d.id = k.disposition_id
    WHERE NOT EXISTS (
        SELECT 1 FROM campaigns_attempttoken t WHERE t.token = '{TOKEN}' || k.entry_id || '-' || k.n
    )
    RETURNING id, client_token, created_at
    )
    -- The tokens are unique in a table of their own (the attempts are partitioned).
    INSERT INTO campaigns_attempttoken (token, attempt_id, created_at)
    SELECT client_token, id, created_at FROM inserted
    """
    with connection.cursor() as cursor:
        # Modulo signs become %% for the driver; %(name)s placeholders stay.
        cursor.execute(
            re.sub(r"%+(?!\()", "%%", sql),
            {
                "lists": [call_list.pk for call_list in lists],
                "workdays": workdays,
                "operators": operators,
                "operator_count": len(operators),
            },
        )
        return cursor.rowcount


def _update_entries() -> None:
    """Each entry with demo history gets the state its last attempt leaves it in (the same
    outcome rules as record_outcome; the next attempt time is the retry floor). In a finished
    campaign what was still open is cancelled, as finishing a campaign does."""
    with connection.cursor() as cursor:
        cursor.execute(f"""
        WITH last AS (
            SELECT DISTINCT ON (a.entry_id) a.entry_id, a.started_at, a.disposition_id, a.callback_at,
                   a.callback_personal, a.operator_id, count(*) OVER (PARTITION BY a.entry_id) AS tries
            FROM campaigns_callattempt a
            WHERE a.entry_id IN (SELECT entry_id FROM campaigns_callattempt WHERE client_token LIKE '{TOKEN}%')
            ORDER BY a.entry_id, a.started_at DESC, a.id DESC
        )
        UPDATE campaigns_calllistentry e SET
            attempts = last.tries,
            last_attempt_at = last.started_at,
            last_disposition_id = last.disposition_id,
            status = CASE WHEN d.adds_dnc THEN 'blocked' WHEN d.is_final THEN 'done'
                          WHEN c.status = 'finished' THEN 'cancelled'
                          WHEN last.callback_at IS NOT NULL THEN 'callback'
                          WHEN last.tries >= p.max_attempts THEN 'exhausted' ELSE 'pending' END,
            callback_at = CASE WHEN NOT d.is_final AND NOT d.adds_dnc AND c.status <> 'finished' THEN last.callback_at
                END,
            assigned_operator_id = CASE WHEN last.callback_personal AND NOT d.is_final AND c.status <> 'finished'
                                        THEN last.operator_id END,
            next_attempt_at = CASE WHEN d.is_final OR d.adds_dnc OR c.status = 'finished' THEN NULL
                                   WHEN last.callback_at IS NOT NULL THEN last.callback_at
                                   ELSE last.started_at + make_interval(mins => GREATEST(
                                        COALESCE((p.retry_delays ->> d.code)::int, d.retry_delay_minutes, 0),
                                            p.min_gap_minutes)) END,
            held_by_id = NULL, held_until = NULL, held_at = NULL, updated_at = now()
        FROM last
        JOIN campaigns_disposition d ON d.id = last.disposition_id
        JOIN campaigns_calllistentry e2 ON e2.id = last.entry_id
        JOIN campaigns_campaign c ON c.id = e2.campaign_id
        JOIN campaigns_callingpolicy p ON p.id = c.policy_id
        WHERE e.id = last.entry_id AND e.status <> 'held'
        """)


def _register_dnc_requests(*, codes) -> int:
    """Calls that ended with a do-not-call request put the customer and number on the registry
    (at the time of the call, by its operator), audited as "dnc.create" like a request made in the
    console, and block every open entry the registry now blocks (the rule of
    contacts.services.dnc, so customers sharing the number are blocked too)."""
    from contacts.services.dnc import BLOCKED_CUSTOMERS_SQL

    with connection.cursor() as cursor:
        cursor.execute(
            f"""
        WITH added AS (
            INSERT INTO contacts_donotcall (phone_number, customer_id, campaign_id, reason, source, note, created_by_id,
                                            created_at, expires_at, revoked_at, revoked_by_id, revoke_reason)
            SELECT a.phone, a.customer_id, NULL, 'customer_request', 'operator', 'demo: ' || a.client_token,
                   a.operator_id, a.ended_at, NULL, NULL, NULL, ''
            FROM campaigns_callattempt a
            WHERE a.client_token LIKE '{TOKEN}%%' AND a.disposition_id = %s
              AND NOT EXISTS (SELECT 1 FROM contacts_donotcall d WHERE d.note = 'demo: ' || a.client_token)
            RETURNING id, phone_number, customer_id, created_by_id, created_at, note
        )
        INSERT INTO callcenter_auditevent (created_at, actor_id, action, object_type, object_id, summary, data)
        SELECT created_at, created_by_id, 'dnc.create', 'contacts.donotcall', id::text,
               'DNC ' || phone_number || ' customer ' || customer_id,
               jsonb_build_object('phone_number', phone_number, 'customer_id', customer_id, 'campaign_id', NULL,
                                  'reason', 'customer_request', 'source', 'operator', 'expires_at', NULL, 'note', note)
        FROM added
        """,
            [codes["dnc_request"]],
        )
        created = cursor.rowcount
        blocked = BLOCKED_CUSTOMERS_SQL.format(at="now()", campaign="e.campaign_id")
        cursor.execute(f"""
        UPDATE campaigns_calllistentry e SET status = 'blocked', next_attempt_at = NULL, updated_at = now()
        WHERE e.status IN ('pending', 'callback') AND e.customer_id IN ({blocked})
        """)
    return created


def _insert_state_logs(*, operators, today) -> int:
    """Ready / on call / after-call work / break intervals for every day a demo operator made
    demo calls, unless that operator already has state logs on that day."""
    breaks = " UNION ALL ".join(f"SELECT {start}, {end}, '{reason}'" for start, end, reason in BREAKS)
    shift_start, shift_end = WORK_BLOCKS[0][0], WORK_BLOCKS[-1][1]
    sql = f"""
    WITH days AS (
        SELECT DISTINCT a.operator_id, (a.started_at AT TIME ZONE 'Asia/Tokyo')::date AS day
        FROM campaigns_callattempt a
        WHERE a.client_token LIKE '{TOKEN}%%' AND a.operator_id = ANY(%(operators)s)
          AND (a.started_at AT TIME ZONE 'Asia/Tokyo')::date < %(today)s
    ),
    free_days AS (
        SELECT d.* FROM days d WHERE NOT EXISTS (
            SELECT 1 FROM campaigns_agentstatelog s WHERE s.operator_id = d.operator_id
              AND (s.started_at AT TIME ZONE 'Asia/Tokyo')::date = d.day)
    ),
    busy AS (
        SELECT a.operator_id, f.day, a.started_at AS s, a.ended_at AS e, 'on_call' AS state, '' AS reason
        FROM campaigns_callattempt a JOIN free_days f ON f.operator_id = a.operator_id
             AND (a.started_at AT TIME ZONE 'Asia/Tokyo')::date = f.day
        WHERE a.client_token LIKE '{TOKEN}%%'
        UNION ALL
        SELECT a.operator_id, f.day, a.ended_at, a.ended_at + make_interval(secs => a.acw_seconds), 'acw', ''
        FROM campaigns_callattempt a JOIN free_days f ON f.operator_id = a.operator_id
             AND (a.started_at AT TIME ZONE 'Asia/Tokyo')::date = f.day
        WHERE a.client_token LIKE '{TOKEN}%%'
        UNION ALL
        SELECT f.operator_id, f.day,
               (f.day::timestamp + make_interval(mins => b.start_min)) AT TIME ZONE 'Asia/Tokyo',
               (f.day::timestamp + make_interval(mins => b.end_min)) AT TIME ZONE 'Asia/Tokyo', 'break', b.reason
        FROM free_days f CROSS JOIN ({breaks}) AS b(start_min, end_min, reason)
    ),
    ordered AS (
        SELECT b.*, lag(b.e) OVER (PARTITION BY b.operator_id, b.day ORDER BY b.s, b.e) AS previous_end,
               lead(b.s) OVER (PARTITION BY b.operator_id, b.day ORDER BY b.s, b.e) AS next_start
        FROM busy b
    ),
    ready AS (
        -- The waiting time between busy intervals, and from the shift's start / until its end.
        SELECT operator_id, day, COALESCE(previous_end, (day::timestamp + make_interval(mins => {shift_start})) AT TIME
        ZONE 'Asia/Tokyo') AS s,
               s AS e, 'ready' AS state, '' AS reason
        FROM ordered
        UNION ALL
        SELECT operator_id, day, e, (day::timestamp + make_interval(mins => {shift_end})) AT TIME ZONE 'Asia/Tokyo',
        'ready', ''
        FROM ordered WHERE next_start IS NULL
    ),
    intervals AS (
        SELECT operator_id, s, e, state, reason FROM busy
        UNION ALL
        SELECT operator_id, s, e, state, reason FROM ready WHERE e > s
    )
    INSERT INTO campaigns_agentstatelog (operator_id, state, reason, started_at, ended_at)
    SELECT operator_id, state, reason, s, e FROM intervals ORDER BY operator_id, s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"operators": operators, "today": today})
        return cursor.rowcount
