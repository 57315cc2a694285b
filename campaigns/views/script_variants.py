"""Campaign page actions on talk script variants (segment → script). Supervisors only."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from callcenter import roles
from campaigns.forms.script_variants import ScriptVariantForm
from campaigns.models import Campaign, CampaignScriptVariant
from campaigns.services import script_variants as variant_services
from campaigns.views.setup import campaign_detail_context

manage = roles.permission_required(roles.MANAGE_LISTS)


def _back(campaign_pk):
    return redirect(reverse("campaigns:campaign_detail", args=[campaign_pk]) + "#script-variants")


def _error_messages(request, error: ValidationError):
    for message in error.messages:
        messages.error(request, message)


@manage
@require_POST
def variant_add(request, pk):
    campaign = get_object_or_404(Campaign.objects.select_related("policy", "script"), pk=pk)
    form = ScriptVariantForm(request.POST, campaign=campaign)
    if form.is_valid():
        try:
            variant = variant_services.add_variant(
                campaign=campaign,
                segment=form.cleaned_data["segment"],
                script=form.cleaned_data["script"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Customers in “%(segment)s” now hear “%(script)s”.")
                % {"segment": variant.segment.name, "script": variant.script.name},
            )
            if variant.script.latest_published() is None:
                messages.warning(
                    request,
                    _(
                        "“%(script)s” has no published version yet: until it is published, "
                        "these customers hear the default script."
                    )
                    % {"script": variant.script.name},
                )
            return _back(pk)
    # Re-show the campaign page with the form's errors and the choices kept.
    return render(
        request,
        "campaigns/setup/campaign_detail.html",
        campaign_detail_context(campaign, variant_form=form),
        status=400,
    )


def _variant_or_message(request, pk, variant_pk):
    variant = (
        CampaignScriptVariant.objects.select_related("campaign", "segment", "script")
        .filter(pk=variant_pk, campaign_id=pk)
        .first()
    )
    if variant is None:
        messages.warning(request, _("That script variant no longer exists; the list below is current."))
    return variant


@manage
@require_POST
def variant_move(request, pk, variant_pk, direction):
    get_object_or_404(Campaign, pk=pk)
    variant = _variant_or_message(request, pk, variant_pk)
    if variant is not None:
        try:
            variant_services.move_variant(variant=variant, direction=direction, by=request.user)
        except variant_services.VariantGone:
            messages.warning(request, _("That script variant no longer exists; the list below is current."))
        except ValidationError as error:
            _error_messages(request, error)
    return _back(pk)


@manage
@require_POST
def variant_delete(request, pk, variant_pk):
    get_object_or_404(Campaign, pk=pk)
    variant = _variant_or_message(request, pk, variant_pk)
    if variant is not None:
        try:
            variant_services.remove_variant(variant=variant, by=request.user)
        except variant_services.VariantGone:
            messages.warning(request, _("That script variant no longer exists; the list below is current."))
        except ValidationError as error:
            _error_messages(request, error)
        else:
            messages.success(
                request,
                _("Variant deleted: customers in “%(segment)s” hear the next matching script.")
                % {"segment": variant.segment.name},
            )
    return _back(pk)
