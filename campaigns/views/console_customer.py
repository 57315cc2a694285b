"""What an operator corrects about the customer of the call they hold: the number just dialed was
wrong, a number the customer gave, a note. Only for the held call; the rules are contacts'."""

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from callcenter import roles
from contacts.models import PhoneNumber
from contacts.phones import format_national
from contacts.services import customers as customer_services

from ..selectors.console import card_phones, held_entry

TEMPLATE = "campaigns/console/_customer_actions.html"


def actions_context(entry, **extra) -> dict:
    return {
        "entry": entry,
        "phone_display": format_national(entry.phone) or entry.phone,
        "phone_kinds": PhoneNumber.Kind.choices,
        **extra,
    }


@roles.permission_required(roles.USE_CONSOLE)
@require_POST
def console_customer(request, entry_id):
    entry = held_entry(request.user, entry_id=entry_id)
    if entry is None:
        # htmx swaps only 2xx answers into the card: the console's own request gets the message
        # as a 200; any other request the plain refusal.
        status = 200 if request.headers.get("HX-Request") else 409
        return render(
            request, TEMPLATE, {"gone": _("This call is no longer yours: take the next call.")}, status=status
        )
    action = request.POST.get("action", "")
    customer = entry.customer
    try:
        if action == "mark_wrong":
            customer_services.mark_phone_wrong(customer=customer, number=entry.phone, by=request.user)
            done = _("The number %(number)s is marked wrong: it will not be dialed again.") % {
                "number": format_national(entry.phone) or entry.phone
            }
        elif action == "add_phone":
            phone = customer_services.add_phone(
                customer=customer,
                number=request.POST.get("number", ""),
                kind=request.POST.get("kind", ""),
                by=request.user,
            )
            done = _("The number %(number)s is added.") % {"number": format_national(phone.number)}
        elif action == "add_note":
            customer_services.add_note(customer=customer, text=request.POST.get("note", ""), by=request.user)
            done = _("The note is added to the customer.")
        else:
            return render(request, TEMPLATE, actions_context(entry, error=_("Unknown action.")))
    except ValidationError as error:
        # A refusal is shown in the card (htmx swaps only 2xx answers); nothing was changed.
        return render(request, TEMPLATE, actions_context(entry, error=" ".join(error.messages)))
    # The card's list of numbers follows (an out-of-band swap of the same fragment).
    return render(request, TEMPLATE, actions_context(entry, done=done, refreshed_phones=card_phones(customer)))
