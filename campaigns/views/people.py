"""The users page: accounts with their role, campaigns and skills; password resets, deactivation
and the CSV import of many operators. The rules are in callcenter.people and services.people."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from callcenter import people
from campaigns.forms.people import ROLE_LABELS, AccountForm, AccountImportForm
from campaigns.selectors import people as selectors
from campaigns.services import people as services


def manage_users(view):
    def wrapped(request, *args, **kwargs):
        from django.contrib.auth.views import redirect_to_login

        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not people.may_manage_users(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _rows(users, actor):
    for user in users:
        role = people.role_of(user)
        profile = getattr(user, "operator_profile", None)
        yield {
            "user": user,
            "role": role,
            "role_label": ROLE_LABELS.get(role, "—"),
            "campaigns": user.client_campaigns.all() if role == "client_viewer" else user.operator_campaigns.all(),
            "skills": profile.skills if profile else [],
            "may_change": people.may_change(actor, user),
        }


@manage_users
def user_list(request):
    q = request.GET.get("q", "").strip()
    role = request.GET.get("role", "")
    state = request.GET.get("state", "")
    role = role if role in selectors.ROLE_FILTERS else ""
    state = state if state in selectors.STATES else ""
    page = Paginator(selectors.accounts(q=q, role=role, state=state), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "campaigns/people/user_list.html",
        {
            "page": page,
            "rows": list(_rows(page, request.user)),
            "q": q,
            "role": role,
            "state": state,
            "roles": [(value, ROLE_LABELS[value]) for value in selectors.ROLE_FILTERS],
        },
    )


def _change_from(form) -> services.AccountChange:
    data = form.cleaned_data
    return services.AccountChange(
        username=data["username"],
        name=data["name"],
        role=data["role"],
        password=data.get("password") or None,
        campaigns=list(data["campaigns"]),
        skills=data["skills"],
    )


def _show_temporary(request, user, temporary):
    """The temporary password, once, on the next page (never in the URL, never stored)."""
    if temporary:
        request.session["temporary_password"] = {"user": user.pk, "password": temporary}


@never_cache
@manage_users
def user_create(request):
    form = AccountForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            user, temporary = services.create_account(by=request.user, change=_change_from(form))
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Account %(username)s created.") % {"username": user.username})
            _show_temporary(request, user, temporary)
            return redirect("campaigns:user_edit", pk=user.pk)
    return render(request, "campaigns/people/user_form.html", {"form": form})


def _add_errors(form, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)


@never_cache
@manage_users
def user_edit(request, pk):
    account = get_object_or_404(get_user_model(), pk=pk)
    may_change = people.may_change(request.user, account)
    role = people.role_of(account)
    initial = {
        "username": account.username,
        "name": people.full_name(account),
        "role": role,
        "campaigns": list(services.campaigns_of(account, role)),
        "skills": ", ".join(services.skills_of(account)),
    }
    form = AccountForm(request.POST or None, actor=request.user, account=account, initial=initial)
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.update_account(by=request.user, user=account, change=_change_from(form))
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(
                    request, _("Account %(username)s saved.") % {"username": form.cleaned_data["username"]}
                )
                return redirect("campaigns:user_edit", pk=account.pk)
    temporary = request.session.pop("temporary_password", None)
    if temporary and temporary.get("user") != account.pk:
        temporary = None
    return render(
        request,
        "campaigns/people/user_form.html",
        {
            "form": form,
            "account": account,
            "account_role": ROLE_LABELS.get(role, "—"),
            "may_change": may_change,
            "is_self": account.pk == request.user.pk,
            "password_change_pending": people.password_change_due(account),
            "temporary_password": temporary["password"] if temporary else None,
        },
    )


@require_POST
@manage_users
def user_reset_password(request, pk):
    account = get_object_or_404(get_user_model(), pk=pk)
    try:
        temporary = people.set_password_for(account, by=request.user)
    except people.NotAllowed as refusal:
        raise PermissionDenied(str(refusal)) from None
    messages.success(
        request,
        _("A new temporary password was made for %(username)s; their sessions and API tokens have ended.")
        % {"username": account.username},
    )
    _show_temporary(request, account, temporary)
    return redirect("campaigns:user_edit", pk=account.pk)


@require_POST
@manage_users
def user_set_active(request, pk):
    account = get_object_or_404(get_user_model(), pk=pk)
    wanted = request.POST.get("active")
    if wanted not in ("0", "1"):
        return HttpResponseBadRequest(_("Say active=1 or active=0."))
    try:
        people.set_active(account, by=request.user, active=wanted == "1")
    except people.NotAllowed as refusal:
        messages.error(request, str(refusal))
        return redirect("campaigns:user_edit", pk=account.pk)
    if wanted == "1":
        messages.success(request, _("%(username)s can sign in again.") % {"username": account.username})
    else:
        messages.success(
            request,
            _("%(username)s is deactivated: their sessions and API tokens stopped working. Their calls stay theirs.")
            % {"username": account.username},
        )
    return redirect("campaigns:user_edit", pk=account.pk)


@never_cache
@manage_users
def user_import(request):
    form = AccountImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = services.import_accounts(by=request.user, data=form.cleaned_data["file"].read())
        except ValidationError as error:
            form.add_error("file", error)
        else:
            if result.created:
                messages.success(request, _("%(n)s accounts created.") % {"n": len(result.created)})
    return render(
        request,
        "campaigns/people/user_import.html",
        {"form": form, "result": result, "columns": services.IMPORT_COLUMNS},
    )
