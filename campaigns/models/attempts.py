"""The call attempts: one row per dial and its outcome."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .campaigns import Campaign
from .dispositions import Disposition
from .lists import CallList, CallListEntry

# The stored facts the compliance report reads (CallAttempt.FACT_FIELDS), covered by attempt_campaign_time.
FACT_COLUMNS_COVERED = (
    "policy_version",
    "local_date",
    "local_time",
    "previous_call_at",
    "next_call_at",
    "last_contact_at",
    "previous_callback_at",
    "calls_in_cap_window",
    "calls_that_day",
    "round_position",
    "first_notice_on",
)


class CallAttempt(models.Model):
    """One dial and its outcome. Append-only: never updated, never deleted.

    Partitioned by month of started_at (callcenter.partitions): the database's primary key is
    (id, started_at), Django's is id (ids are unique all the same: one identity sequence). No
    foreign key constraint can point at it by id alone, so the columns that reference an attempt
    are `db_constraint=False` and the code that writes them takes the id of an attempt it has."""

    class Reaction(models.TextChoices):
        NONE = "", _("—")
        LISTENED = "listened", _("Listened well")
        INTERESTED = "interested", _("Interested")
        NEUTRAL = "neutral", _("Neutral")
        BUSY_NOW = "busy_now", _("Busy right now")
        IRRITATED = "irritated", _("Irritated")
        HUNG_UP = "hung_up", _("Hung up abruptly")

    # Every attempt writes every index of this table: the foreign keys below are indexed by the
    # composite indexes of Meta (attempt_entry, attempt_campaign_time, ...), not twice.
    entry = models.ForeignKey(
        CallListEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="call_attempts", db_index=False
    )
    call_list = models.ForeignKey(CallList, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="attempts", db_index=False)
    customer = models.ForeignKey(
        "contacts.Customer", on_delete=models.PROTECT, related_name="call_attempts", db_index=False
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="call_attempts",
        db_index=False,
    )
    phone = models.CharField(_("number dialed"), max_length=32)
    attempt_number = models.PositiveIntegerField(_("attempt number"), default=1)
    started_at = models.DateTimeField(_("started"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"))
    # From dialing to the answer (or to the end of an unanswered call); 0 without call events
    # (a database default: bulk inserts of history written before the events need not name it).
    ring_seconds = models.PositiveIntegerField(_("ring (s)"), default=0, db_default=0)
    talk_seconds = models.PositiveIntegerField(_("talk (s)"), default=0)
    hold_seconds = models.PositiveIntegerField(_("hold (s)"), default=0)
    acw_seconds = models.PositiveIntegerField(_("after-call work (s)"), default=0)
    # The final SIP response of a failed dial (486 busy, 480 unavailable, 404 not found ...).
    sip_status = models.PositiveSmallIntegerField(_("SIP status"), null=True, blank=True)
    disposition = models.ForeignKey(Disposition, verbose_name=_("outcome"), on_delete=models.PROTECT, related_name="+")
    reaction = models.CharField(_("reaction"), max_length=16, choices=Reaction.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    callback_at = models.DateTimeField(_("callback at"), null=True, blank=True)
    callback_personal = models.BooleanField(_("personal callback"), default=False)
    script_version = models.ForeignKey(
        "scripts.ScriptVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="attempts"
    )
    answers = models.JSONField(_("script answers"), default=dict, blank=True)
    # Whether the operator confirmed the mandatory disclosure (特定商取引法 Art. 16) on this call.
    disclosure_confirmed = models.BooleanField(_("disclosure confirmed"), default=False, db_default=False)
    # A promise to pay (支払約束) made on this call: the date and amount the customer promised.
    promised_on = models.DateField(_("promised payment date"), null=True, blank=True)
    promised_amount = models.DecimalField(_("promised amount"), max_digits=14, decimal_places=0, null=True, blank=True)
    # The request token the attempt was logged with (NULL, not "", when a client sent none). Unique
    # through AttemptToken: the table is partitioned by started_at, and PostgreSQL admits no unique
    # index on it that leaves the partition key out.
    client_token = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    # The meaning of the outcome when the call was logged (the disposition's flags at that moment):
    # every rule and KPI reads these, so editing an outcome's flags later changes only later calls.
    # A trigger copies them from the disposition on INSERT (migration 0007_attempt_outcome_meaning),
    # whatever path writes the attempt.
    is_contact = models.BooleanField(_("reached the person"), default=False, editable=False)
    is_success = models.BooleanField(_("success"), default=False, editable=False)
    is_final = models.BooleanField(_("closes the entry"), default=False, editable=False)
    is_refusal = models.BooleanField(_("refusal"), default=False, editable=False)
    adds_dnc = models.BooleanField(_("adds a do-not-call entry"), default=False, editable=False)
    is_callback = models.BooleanField(_("schedules a callback"), default=False, editable=False)
    # What the compliance report judges the call by, stored by a trigger on INSERT (and when a
    # history change moves the call) from the history as it stood then, whatever path writes the
    # attempt (SQL function campaigns_attempt_facts; campaigns_attempt_facts_all computes the same
    # for existing rows). "Entry" is the list entry (or, without one, the customer in the campaign).
    policy_version = models.ForeignKey(
        "campaigns.CallingPolicyVersion",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # The customer's local date and time of the start (NULL: a time zone PostgreSQL does not know).
    local_date = models.DateField(null=True, blank=True, editable=False)
    local_time = models.TimeField(null=True, blank=True, editable=False)
    # The customer's previous call and (for an attempt logged after later ones) next call, any campaign.
    previous_call_at = models.DateTimeField(null=True, blank=True, editable=False)
    next_call_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The customer's last conversation (any campaign) before this call.
    last_contact_at = models.DateTimeField(null=True, blank=True, editable=False)
    # callback_at of the entry's previous call.
    previous_callback_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The most calls to the customer (any campaign, this one included) in a rolling window of the
    # version's cap days that this call belongs to; NULL without a cap.
    calls_in_cap_window = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # The entry's calls on this local day, and in this round (since its last attempt number 1),
    # this one included.
    calls_that_day = models.PositiveIntegerField(null=True, blank=True, editable=False)
    round_position = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # The first pre-notice of the campaign sent to the customer, as the notices say now: set when
    # the call is logged and again whenever a notice of the pair is recorded, changed or deleted
    # (triggers of migration 0019_attempt_first_notice; the guard lets only that value through).
    first_notice_on = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    FACT_FIELDS = FACT_COLUMNS_COVERED

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("call attempt")
        verbose_name_plural = _("call attempts")
        indexes = [
            # The rules' per-customer windows (cap, gap, cool-off at dispatch): one customer's calls
            # of a few days, index-only. It carries is_contact so that a prepared statement's generic
            # plan never finds the time-only index below cheaper for the cool-off (it did: every
            # call of the last days read per claim).
            models.Index(fields=["customer", "started_at"], include=["is_contact"], name="attempt_customer_time"),
            # Covers what the compliance report reads of a campaign's attempts (their stored facts):
            # the report is an index-only range scan of the campaign's period, parallel.
            models.Index(
                fields=["campaign", "started_at"],
                include=[
                    "id",
                    "customer",
                    "phone",
                    "attempt_number",
                    "is_contact",
                    "disclosure_confirmed",
                    "callback_at",
                    *FACT_COLUMNS_COVERED,
                ],
                name="attempt_campaign_time",
            ),
            models.Index(fields=["operator", "started_at"], name="attempt_operator_time"),
            models.Index(fields=["entry"], name="attempt_entry"),
            # Rolling-window rules (cap, cool-off) read the attempts of the last days of every
            # campaign: an index-only range scan instead of a scan of the whole history.
            models.Index(
                fields=["started_at"], include=["customer", "is_contact"], name="setup_attempt_started_customer"
            ),
            # Re-solicitation: the refusals of one campaign, without reading its whole history.
            models.Index(fields=["campaign", "disposition", "customer"], name="attempt_campaign_disposition"),
        ]

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.phone} {self.disposition_id}"

    MEANING_FLAGS = ("is_contact", "is_success", "is_final", "is_refusal", "adds_dnc", "is_callback")

    def take_meaning_from(self, disposition) -> None:
        """Copy the outcome's flags as they are now (the INSERT trigger does the same in SQL)."""
        for flag in self.MEANING_FLAGS:
            setattr(self, flag, getattr(disposition, flag))


class Refusal(models.Model):
    """A customer refused: one row per scope the refusal covers (the campaign, the company and
    product it sells, the company), keyed by `scope_key` (SQL function campaigns_refusal_key).
    Written by a trigger in the transaction that inserts the refusal attempt; the
    re-solicitation rule looks up one (customer, key) instead of scanning call history."""

    customer = models.ForeignKey("contacts.Customer", on_delete=models.PROTECT, related_name="+", db_index=False)
    scope_key = models.CharField(max_length=520)
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="+", db_index=False)
    # No database constraint: attempts are partitioned (see CallAttempt). Written by the INSERT
    # trigger from the attempt it is inserting.
    attempt = models.ForeignKey(
        CallAttempt, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    refused_at = models.DateTimeField()

    class Meta:
        verbose_name = _("refusal")
        verbose_name_plural = _("refusals")
        constraints = [models.UniqueConstraint(fields=["customer", "scope_key"], name="refusal_customer_scope")]
        indexes = [models.Index(fields=["scope_key", "customer"], name="refusal_scope_customer")]

    def __str__(self):
        return f"{self.customer_id} {self.scope_key}"


class AttemptToken(models.Model):
    """The client token an outcome was logged with, unique: the same token again is the same
    request (a double click, a retry) and gets the attempt already recorded
    (campaigns.services.outcomes). A table of its own because the attempts are partitioned by
    started_at and a unique index there would have to include it. Written in the statement that
    inserts the attempt."""

    token = models.CharField(max_length=64, primary_key=True)
    # No database constraint: attempts are partitioned (see CallAttempt).
    attempt = models.ForeignKey(
        CallAttempt, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("attempt token")
        verbose_name_plural = _("attempt tokens")

    def __str__(self):
        return self.token
