"""API of the policy presets, a collections campaign's debts and promises to pay, and the
mandatory disclosure check (docs/api.md#policies-dispositions-campaigns-lists)."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from callcenter import roles
from callcenter.bulk_reads import AuditedPages
from campaigns.models import Campaign, Debt
from campaigns.presets import POLICY_FIELDS, PRESETS
from campaigns.services import debts as debt_services
from campaigns.services import disclosure as disclosure_services
from contacts.models import Customer

from .setup import OVERSEE, SUPERVISE, read_write_permission


class PresetSerializer(serializers.Serializer):
    key = serializers.CharField()
    version = serializers.IntegerField()
    name = serializers.CharField(help_text="The name a policy created from the preset gets.")
    label = serializers.CharField()
    description = serializers.CharField()
    values = serializers.DictField(help_text="The policy fields the preset sets (as in GET /api/v1/policies/).")
    sources = serializers.DictField(
        child=serializers.CharField(), help_text="field -> the law or practice the value comes from"
    )


class PresetList(APIView):
    """The shipped calling-policy presets, with their version and the law behind each value."""

    permission_classes = [roles.api_permission(*OVERSEE)]

    @extend_schema(responses=PresetSerializer(many=True), tags=["policies"])
    def get(self, request):
        rows = []
        for key, preset in PRESETS.items():
            values = {}
            for field in POLICY_FIELDS:
                value = preset["values"][field]
                values[field] = value.strftime("%H:%M") if hasattr(value, "strftime") else value
            rows.append(
                {
                    "key": key,
                    "version": preset["version"],
                    "name": preset["name"],
                    "label": str(preset["label"]),
                    "description": preset["description"],
                    "values": values,
                    "sources": {field: str(text) for field, text in preset["sources"].items()},
                }
            )
        return Response(rows)


class DebtSerializer(serializers.ModelSerializer):
    customer = serializers.SlugRelatedField(
        slug_field="external_id", queryset=Customer.objects.all(), help_text="The customer's external id."
    )
    amount_due = serializers.DecimalField(
        max_digits=14, decimal_places=0, min_value=0, max_value=debt_services.MAX_AMOUNT
    )

    class Meta:
        model = Debt
        fields = [
            "id",
            "customer",
            "amount_due",
            "due_on",
            "account_reference",
            "promise_status",
            "promised_on",
            "promised_amount",
            "promise_resolved_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "promise_status",
            "promised_on",
            "promised_amount",
            "promise_resolved_at",
            "updated_at",
        ]


class CampaignDebts(AuditedPages, generics.ListCreateAPIView):
    """GET the campaign's debts (pages, audited); POST creates or updates one customer's debt."""

    serializer_class = DebtSerializer
    permission_classes = [roles.api_permission(*SUPERVISE)]
    page_read_action = "debt.page_read"

    def get_queryset(self):
        campaign = get_object_or_404(Campaign, pk=self.kwargs["pk"])
        return Debt.objects.filter(campaign=campaign).select_related("customer").order_by("id")

    @extend_schema(tags=["collections"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(tags=["collections"], responses={200: DebtSerializer, 201: DebtSerializer})
    def post(self, request, pk):
        campaign = get_object_or_404(Campaign, pk=pk)
        serializer = DebtSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        debt, created = debt_services.save_debt(
            campaign=campaign,
            customer=data["customer"],
            amount_due=data["amount_due"],
            due_on=data.get("due_on"),
            account_reference=data.get("account_reference", ""),
            by=request.user,
        )
        return Response(DebtSerializer(debt).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class PromiseResolution(serializers.Serializer):
    status = serializers.ChoiceField(choices=[Debt.Promise.PAID, Debt.Promise.BROKEN])


class DebtPromise(APIView):
    """Mark a debt's open promise to pay paid (the customer's open calls close) or broken (calls resume)."""

    permission_classes = [roles.api_permission(*SUPERVISE)]

    @extend_schema(
        request=PromiseResolution,
        responses={200: DebtSerializer, 409: OpenApiResponse(description="The debt has no open promise")},
        tags=["collections"],
    )
    def post(self, request, pk):
        debt = get_object_or_404(Debt, pk=pk)
        body = PromiseResolution(data=request.data)
        body.is_valid(raise_exception=True)
        if debt.promise_status != Debt.Promise.OPEN:
            return Response({"detail": _("This debt has no open promise to pay.")}, status=status.HTTP_409_CONFLICT)
        debt = debt_services.resolve_promise(debt=debt, status=body.validated_data["status"], by=request.user)
        return Response(DebtSerializer(debt).data)


DisclosureScript = inline_serializer(
    "DisclosureScript",
    {
        "version": serializers.IntegerField(),
        "script": serializers.CharField(),
        "number": serializers.IntegerField(),
        "has_disclosure_step": serializers.BooleanField(),
        "by_placeholder": serializers.ListField(child=serializers.CharField()),
        "confirmed": serializers.ListField(child=serializers.CharField()),
        "missing": serializers.ListField(child=serializers.CharField()),
    },
)
DisclosureCheck = inline_serializer(
    "DisclosureCheck",
    {
        "required": serializers.BooleanField(),
        "problems": serializers.ListField(child=serializers.CharField()),
        "scripts": serializers.ListField(child=DisclosureScript),
    },
)


class DisclosureConfirmation(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    items = serializers.ListField(
        child=serializers.ChoiceField(choices=list(disclosure_services.ITEMS)),
        help_text="The items the wording of the version's disclosure step states: company, caller, product, "
        "sales_call.",
    )


class CampaignDisclosure(APIView):
    """GET the mandatory disclosure check of the campaign's scripts; POST confirms the wording of one."""

    permission_classes = [read_write_permission(OVERSEE, SUPERVISE)]

    @extend_schema(responses=DisclosureCheck, tags=["campaigns"])
    def get(self, request, pk):
        return Response(self._check(get_object_or_404(Campaign, pk=pk)))

    @extend_schema(request=DisclosureConfirmation, responses=DisclosureCheck, tags=["campaigns"])
    def post(self, request, pk):
        campaign = get_object_or_404(Campaign, pk=pk)
        body = DisclosureConfirmation(data=request.data)
        body.is_valid(raise_exception=True)
        shown = {version.pk: version for version in disclosure_services.scripts_shown(campaign)}
        version = shown.get(body.validated_data["version"])
        if version is None:
            raise serializers.ValidationError({"version": [_("This script is not one the campaign shows.")]})
        disclosure_services.confirm_wording(version=version, items=body.validated_data["items"], by=request.user)
        return Response(self._check(campaign))

    @staticmethod
    def _check(campaign) -> dict:
        return {
            "required": bool(campaign.policy and campaign.policy.disclosure_required),
            "problems": disclosure_services.disclosure_problems(campaign),
            "scripts": [
                {
                    "version": result.version.pk,
                    "script": result.version.script.name,
                    "number": result.version.number,
                    "has_disclosure_step": result.step is not None,
                    "by_placeholder": sorted(result.by_placeholder),
                    "confirmed": sorted(result.confirmed),
                    "missing": result.missing,
                }
                for result in disclosure_services.review(campaign)
            ],
        }
