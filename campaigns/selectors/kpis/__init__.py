"""KPI figures (definitions: docs/api.md#kpis) read from the rollups, or from the raw tables to check them.
One module per concern: figures (the filter, the sums and the ratios), sql (the fragments the
rollups and the raw path share), tables (the KPI tables), scope (who sees what), labels (row
names), best_hours (the heat map's cells and the best time to call), wallboard (operators now).

What is counted, once for every page, the API, the exports and the bench:

- dials: attempts; contacts: attempts logged with a contact outcome; successes: attempts logged
  with a success outcome (the meaning each attempt stored when it was logged: editing an outcome's
  flags later changes no past figure). Contact rate = contacts ÷ dials; success rate = successes ÷ dials
  (also ÷ contacts).
- handled calls: attempts with talk time. ATT = talk ÷ handled calls; ACW = after-call work ÷
  attempts; AHT = (talk + hold + after-call work of the handled calls) ÷ handled calls.
- answered: attempts with an answer time (a person or a machine picked up); ASR (answer-seizure
  ratio) = answered ÷ dials. Ring time is recorded by a call's events on the server (the softphone,
  the console's buttons, an external dialer: campaigns.services.call_events); average ring =
  ring seconds ÷ the dials with ring time ("rung"). The attempt stores both when it is logged and
  they never change afterwards (attempts are append-only), so the rollups hold them like the
  other attempt sums and the dashboard never reads the attempts.
- logged-in time comes from AgentStateLog (every state but offline), cut into whole seconds per
  operator and local hour. Utilization = (talk + hold [on call] + after-call work + waiting [ready])
  ÷ logged-in time. CPH = dials ÷ logged-in hours.
- Logged-in time belongs to an operator, not to a campaign. When figures are for some campaigns
  (a campaign, list or segment filter, a client viewer, or a table by campaign/list/segment), each
  operator-hour's time is shared out between the campaigns the operator dialed in that hour, in
  proportion to the dials (whole seconds, rounded down). Hours without any dial then count for no
  campaign; they still count for the operator and for the all-campaigns totals.
- Cost = labour (that shared-out logged-in time × the campaign's cost per hour) + telecom (talk
  minutes × the campaign's cost per minute) + fixed (the campaign's fixed cost spread evenly over
  the days from its start to its end date — the first/last day it dialed where a date is missing —
  and within a day over that day's dials). CPC = cost ÷ dials.
- Days and hours are the call center's local time (settings.TIME_ZONE); weekday 0 = Monday.

A ratio whose denominator is zero is None ("no figure"), never 0."""
