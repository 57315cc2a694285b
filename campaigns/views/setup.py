"""Pages of campaign setup: campaigns, calling policies, dispositions, operator skills and
pre-notices. (Call lists: views/setup_lists.py.)"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from callcenter import roles
from callcenter.audit import action_label
from campaigns.forms.setup import (
    CampaignForm,
    CampaignOutcomeForm,
    DispositionForm,
    OperatorSkillsForm,
    PolicyForm,
    PreNoticeForm,
    PreNoticeImportForm,
)
from campaigns.models import CallingPolicy, Campaign, Disposition, OperatorProfile, PreNotice
from campaigns.models.dispositions import CONSOLE_KEYS, MAX_CAMPAIGN_OUTCOMES, OUTCOME_KEYS
from campaigns.selectors.presets import preset_comparison
from campaigns.selectors.setup import campaign_list_rows, lists_of, operator_users
from campaigns.services import campaigns as campaign_services
from campaigns.services import outcome_sets, readiness
from campaigns.services import policies as policy_services
from campaigns.services import prenotices as prenotice_services

manage = roles.permission_required(roles.MANAGE_LISTS)


def warn_import_problems(request, *, unknown, problems, shown: int = 20) -> None:
    """A CSV upload's rows that were not taken (unknown customer IDs, unreadable lines), as
    warnings under the success message: the first `shown` of each."""
    if unknown:
        messages.warning(request, _("Unknown customer IDs: %(ids)s") % {"ids": ", ".join(unknown[:shown])})
    for problem in problems[:shown]:
        messages.warning(request, _("Line %(line)s: %(message)s") % problem)


# ------------------------------------------------------------------ campaigns


@manage
def campaign_list(request):
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    purpose = request.GET.get("purpose", "")
    rows = campaign_list_rows(q=q, status=status, purpose=purpose, sort=request.GET.get("sort", ""))
    page = Paginator(rows, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "campaigns/setup/campaign_list.html",
        {
            "page": page,
            "q": q,
            "status": status,
            "purpose": purpose,
            "statuses": Campaign.Status.choices,
            "purposes": Campaign.Purpose.choices,
        },
    )


@manage
def campaign_create(request):
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        saved = _saved(request, form, _save_campaign, done=_("Campaign created. Next: build a call list."))
        if saved:
            return saved
    return render(request, "campaigns/setup/campaign_form.html", {"form": form})


@manage
def campaign_edit(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    form = CampaignForm(request.POST or None, instance=campaign)
    if request.method == "POST" and form.is_valid():
        saved = _saved(request, form, _save_campaign, done=_("Campaign saved."))
        if saved:
            return saved
    return render(request, "campaigns/setup/campaign_form.html", {"form": form, "campaign": campaign})


def _saved(request, form, save, *, done: str):
    """Save a valid form with `save(request, form)` (a service call returning where to go next):
    the redirect there, or None with the service's refusal (a name or code another request took
    meanwhile) added to the form, to be shown again."""
    try:
        target = save(request, form)
    except ValidationError as error:
        form.add_error(None, error)
        return None
    messages.success(request, done)
    return target


def _save_campaign(request, form):
    campaign = form.save(commit=False)
    campaign_services.save_campaign(
        campaign=campaign, by=request.user, operators=form.cleaned_data["operators"], changed=form.changed_data
    )
    return redirect("campaigns:campaign_detail", pk=campaign.pk)


def _save_disposition(request, form):
    policy_services.save_disposition(disposition=form.save(commit=False), by=request.user, changed=form.changed_data)
    return redirect("campaigns:disposition_list")


def _save_policy(request, form):
    policy_services.save_policy(policy=form.save(commit=False), by=request.user, changed=form.changed_data)
    return redirect("campaigns:policy_list")


def campaign_detail_context(campaign, *, variant_form=None) -> dict:
    """What the campaign page shows; also used to re-show it with a variant form's errors."""
    from campaigns.forms.script_variants import ScriptVariantForm
    from campaigns.selectors.script_variants import variants_of

    checklist = readiness.checklist(campaign) if campaign.status in ("draft", "paused") else []
    change = campaign_services.last_status_change(campaign)
    return {
        "campaign": campaign,
        "lists": lists_of(campaign),
        "operators": campaign.operators.order_by("username"),
        "checklist": checklist,
        "blocking": [item.detail for item in checklist if item.blocking and not item.ok],
        "last_status_change": change,
        "last_status_label": action_label(change.action) if change else "",
        "prenotice_count": campaign.prenotices.count(),
        "variants": variants_of(campaign),
        "variant_form": variant_form or ScriptVariantForm(campaign=campaign),
        "default_published": campaign.script.latest_published() if campaign.script else None,
        "outcomes": outcome_sets.campaign_outcomes(campaign),
    }


@manage
def campaign_detail(request, pk):
    campaign = get_object_or_404(Campaign.objects.select_related("policy", "script"), pk=pk)
    return render(request, "campaigns/setup/campaign_detail.html", campaign_detail_context(campaign))


@manage
@require_POST
def campaign_transition(request, pk, action):
    campaign = get_object_or_404(Campaign, pk=pk)
    change = campaign_services.CHANGE_STATUS.get(action)
    if change is None:
        return redirect("campaigns:campaign_detail", pk=pk)
    try:
        campaign = change(campaign=campaign, by=request.user)
        messages.success(request, _("The campaign is now %(status)s.") % {"status": campaign.get_status_display()})
    except campaign_services.CampaignStateError as error:
        for problem in error.problems:
            messages.error(request, problem)
    return redirect("campaigns:campaign_detail", pk=pk)


# ------------------------------------------------------------------ pre-notices


@manage
def prenotice_list(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    form = PreNoticeForm(prefix="one")
    upload = PreNoticeImportForm(prefix="csv")
    if request.method == "POST" and "one-external_id" in request.POST:
        form = PreNoticeForm(request.POST, prefix="one")
        if form.is_valid():
            _notice, created = prenotice_services.record_prenotice(
                campaign=campaign,
                customer=form.customer,
                channel=form.cleaned_data["channel"],
                sent_on=form.cleaned_data["sent_on"],
                by=request.user,
            )
            messages.success(
                request, _("Pre-notice recorded.") if created else _("This pre-notice was already recorded.")
            )
            return redirect("campaigns:prenotice_list", pk=pk)
    elif request.method == "POST":
        upload = PreNoticeImportForm(request.POST, request.FILES, prefix="csv")
        if upload.is_valid():
            try:
                rows, problems = prenotice_services.parse_prenotice_csv(upload.cleaned_data["file"].read())
            except prenotice_services.PreNoticeImportError as error:
                upload.add_error("file", str(error))
            else:
                result = prenotice_services.import_prenotices(campaign=campaign, rows=rows, by=request.user)
                messages.success(request, _("%(created)s pre-notices recorded, %(duplicates)s already known.") % result)
                warn_import_problems(request, unknown=result["unknown"], problems=problems)
                return redirect("campaigns:prenotice_list", pk=pk)
    notices = (
        PreNotice.objects.filter(campaign=campaign).select_related("customer", "created_by").order_by("-sent_on", "-id")
    )
    page = Paginator(notices, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "campaigns/setup/prenotice_list.html",
        {
            "campaign": campaign,
            "page": page,
            "form": form,
            "upload": upload,
        },
    )


# ------------------------------------------------------------------ policies


@manage
def policy_list(request):
    policies = CallingPolicy.objects.annotate(campaign_count=Count("campaigns"))
    return render(
        request,
        "campaigns/setup/policy_list.html",
        {
            "policies": policies,
            "presets": policy_services.PRESETS,
            "comparison": preset_comparison(),
        },
    )


@manage
def policy_create(request):
    preset = request.GET.get("preset", "")
    initial = policy_services.preset_values(preset) if preset in policy_services.PRESETS else None
    if initial:
        # The preset's name in the user's language, marked as a copy (the shipped row keeps its own).
        initial["name"] = _("%(name)s (copy)") % {"name": policy_services.PRESETS[preset]["label"]}
    form = PolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = _saved(request, form, _save_policy, done=_("Calling policy saved."))
        if saved:
            return saved
    return render(
        request,
        "campaigns/setup/policy_form.html",
        {
            "form": form,
            "presets": policy_services.PRESETS,
            "preset": preset,
        },
    )


@manage
def policy_edit(request, pk):
    policy = get_object_or_404(CallingPolicy, pk=pk)
    form = PolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        saved = _saved(request, form, _save_policy, done=_("Calling policy saved."))
        if saved:
            return saved
    return render(request, "campaigns/setup/policy_form.html", {"form": form, "policy": policy})


# ------------------------------------------------------------------ a campaign's outcome set

OUTCOME_ACTIONS = {"add": outcome_sets.add_outcome, "key": outcome_sets.change_key}


@manage
def campaign_outcomes(request, pk):
    """The campaign's own outcomes and their keys: add one, move one to another key, remove one."""
    campaign = get_object_or_404(Campaign, pk=pk)
    form = CampaignOutcomeForm(campaign=campaign)
    failed_action = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "remove":
                disposition = get_object_or_404(Disposition, code=request.POST.get("disposition", ""))
                outcome_sets.remove_outcome(campaign=campaign, disposition=disposition, by=request.user)
                messages.success(request, _("%(outcome)s removed.") % {"outcome": disposition.display_label})
                return redirect("campaigns:campaign_outcomes", pk=pk)
            if action in OUTCOME_ACTIONS:
                form = CampaignOutcomeForm(request.POST, campaign=campaign)
                if form.is_valid():
                    disposition = form.cleaned_data["disposition"]
                    OUTCOME_ACTIONS[action](
                        campaign=campaign, disposition=disposition, key=form.cleaned_data["key"], by=request.user
                    )
                    messages.success(
                        request,
                        _("%(outcome)s is on the key %(key)s.")
                        % {"outcome": disposition.display_label, "key": form.cleaned_data["key"].upper()},
                    )
                    return redirect("campaigns:campaign_outcomes", pk=pk)
        except ValidationError as error:
            if action == "remove":
                for problem in error.messages:
                    messages.error(request, problem)
                return redirect("campaigns:campaign_outcomes", pk=pk)
            for field, problems in error.message_dict.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        failed_action = action
        if action == "key":
            for problem in form.errors.values():
                for message in problem:
                    messages.error(request, message)
            return redirect("campaigns:campaign_outcomes", pk=pk)
        form.fields["disposition"].queryset = Disposition.objects.filter(active=True).exclude(
            campaign_outcomes__campaign=campaign
        )
    rows = outcome_sets.campaign_outcomes(campaign)
    taken = {row.key for row in rows}
    return render(
        request,
        "campaigns/setup/campaign_outcomes.html",
        {
            "campaign": campaign,
            "rows": rows,
            "form": form,
            "failed_action": failed_action,
            "free_keys": [key for key in OUTCOME_KEYS if key not in taken],
            "all_keys": OUTCOME_KEYS,
            "console_keys": CONSOLE_KEYS,
            "max_outcomes": MAX_CAMPAIGN_OUTCOMES,
            "full": len(rows) >= MAX_CAMPAIGN_OUTCOMES,
        },
        status=400 if failed_action else 200,
    )


# ------------------------------------------------------------------ dispositions


@manage
def disposition_list(request):
    return render(
        request,
        "campaigns/setup/disposition_list.html",
        {
            "dispositions": Disposition.objects.all(),
        },
    )


@manage
def disposition_form(request, pk=None):
    disposition = get_object_or_404(Disposition, pk=pk) if pk else None
    form = DispositionForm(request.POST or None, instance=disposition)
    if request.method == "POST" and form.is_valid():
        saved = _saved(request, form, _save_disposition, done=_("Outcome saved."))
        if saved:
            return saved
    return render(request, "campaigns/setup/disposition_form.html", {"form": form, "disposition": disposition})


# ------------------------------------------------------------------ operators and skills


@manage
def operator_list(request):
    operators = operator_users().order_by("username")
    profiles = {p.user_id: p for p in OperatorProfile.objects.filter(user__in=operators)}
    if request.method == "POST":
        operator = get_object_or_404(operators, pk=request.POST.get("operator"))
        form = OperatorSkillsForm(request.POST)
        if form.is_valid():
            campaign_services.set_operator_skills(
                operator=operator, skills=form.cleaned_data["skills"], by=request.user
            )
            messages.success(
                request,
                _("Skills of %(name)s saved.")
                % {"name": f"{operator.last_name} {operator.first_name}".strip() or operator.username},
            )
        else:
            for error in form.errors.get("skills", []):
                messages.error(request, error)
        return redirect(reverse("campaigns:operator_list"))
    rows = [
        {
            "user": user,
            "skills": profiles[user.pk].skills if user.pk in profiles else [],
            "campaigns": user.operator_campaigns.exclude(status=Campaign.Status.FINISHED),
        }
        for user in operators.prefetch_related("operator_campaigns")
    ]
    return render(request, "campaigns/setup/operator_list.html", {"rows": rows})
