"""The campaigns app's models, one module per concern. Import them from here
(`from campaigns.models import CallList`): where a model lives inside the package may change.

- policies: CallingPolicy (when and how often customers may be called), CallingPolicyVersion
  (its rules as they were when a call was made)
- dispositions: Disposition (the outcomes of an attempt), CampaignOutcome (a campaign's own set)
- campaigns: Campaign, CampaignTermsVersion (its company, product and pre-notice days as they were
  when a call was made), CampaignScriptVariant, PreNotice
- lists: CallList, CallListEntry (the leads dispatch hands out)
- attempts: CallAttempt (append-only call history, partitioned by month), Refusal (who refused,
  by scope), AttemptToken (the client tokens outcomes were logged with)
- call_events: CallEvent (what happened during a call in progress, as it happened)
- debts: Debt (what a collections campaign collects, and promises to pay)
- operators: OperatorProfile, AgentStateLog
- appointments: Salesperson, Appointment (meetings booked for sales in a call)
- kpis: the KPI rollup tables, derived from attempts and agent states
"""

from .appointments import Appointment, Salesperson
from .attempts import AttemptToken, CallAttempt, Refusal
from .call_events import CallEvent
from .campaigns import Campaign, CampaignScriptVariant, CampaignTermsVersion, PreNotice
from .debts import Debt
from .dispositions import CampaignOutcome, Disposition
from .kpis import KpiDaily, KpiHourly, KpiHourProfile, KpiOperatorHour, KpiWatermark
from .lists import CallList, CallListEntry
from .operators import AgentStateLog, OperatorProfile
from .policies import CallingPolicy, CallingPolicyVersion, default_weekdays

__all__ = [
    "AgentStateLog",
    "Appointment",
    "AttemptToken",
    "CallAttempt",
    "CallEvent",
    "CallList",
    "CallListEntry",
    "CallingPolicy",
    "CallingPolicyVersion",
    "Campaign",
    "CampaignOutcome",
    "CampaignScriptVariant",
    "CampaignTermsVersion",
    "Debt",
    "Disposition",
    "KpiDaily",
    "KpiHourProfile",
    "KpiHourly",
    "KpiOperatorHour",
    "KpiWatermark",
    "OperatorProfile",
    "PreNotice",
    "Refusal",
    "Salesperson",
    "default_weekdays",
]
