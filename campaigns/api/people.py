"""People's accounts through the API, for HR and provisioning systems (docs/api.md#users)."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from callcenter import people
from campaigns.models import Campaign
from campaigns.selectors import people as selectors
from campaigns.services import people as services

ROLE_CHOICES = list(people.ASSIGNABLE_ROLES)


class ManagesUsers(BasePermission):
    def has_permission(self, request, view):
        return people.may_manage_users(request.user)


class AccountSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True, help_text="Family name first (佐藤 花子).")
    role = serializers.ChoiceField(
        choices=list(people.ACCOUNT_ROLES),
        allow_null=True,
        read_only=True,
        help_text="The highest product role; `admin` for a superuser; null without a role.",
    )
    is_active = serializers.BooleanField(read_only=True)
    campaigns = serializers.ListField(
        child=serializers.IntegerField(),
        read_only=True,
        help_text="Ids of the campaigns an operator works or a client viewer sees.",
    )
    skills = serializers.ListField(child=serializers.CharField(), read_only=True)
    must_change_password = serializers.BooleanField(
        read_only=True, help_text="Someone else set the password: the user chooses their own at the next sign-in."
    )
    last_login = serializers.DateTimeField(read_only=True, allow_null=True)
    date_joined = serializers.DateTimeField(read_only=True)

    def to_representation(self, user):
        role = people.role_of(user)
        profile = getattr(user, "operator_profile", None)
        campaigns = user.client_campaigns.all() if role == "client_viewer" else user.operator_campaigns.all()
        pending = getattr(user, "password_change_pending", None)
        if pending is None:
            pending = people.password_change_due(user)
        return {
            "id": user.pk,
            "username": user.username,
            "name": people.full_name(user),
            "role": role,
            "is_active": user.is_active,
            "campaigns": sorted(campaign.pk for campaign in campaigns),
            "skills": list(profile.skills) if profile else [],
            "must_change_password": pending,
            "last_login": serializers.DateTimeField().to_representation(user.last_login) if user.last_login else None,
            "date_joined": serializers.DateTimeField().to_representation(user.date_joined),
        }


class AccountWithPasswordSerializer(AccountSerializer):
    temporary_password = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="The password made for the account when none was sent (or on `reset_password`), shown this "
        "once: hand it to its owner, who chooses their own at the first sign-in.",
    )


class _AccountInput(serializers.Serializer):
    name = serializers.CharField(max_length=301, required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=ROLE_CHOICES, required=False)
    password = serializers.CharField(
        max_length=4096,
        required=False,
        trim_whitespace=False,
        write_only=True,
        help_text="Omit it to have a temporary password made (the invitation); either way the user chooses "
        "their own at the first sign-in.",
    )
    campaigns = serializers.PrimaryKeyRelatedField(
        queryset=Campaign.objects.all(),
        many=True,
        required=False,
        help_text="For an operator the campaigns they work, for a client viewer those they see.",
    )
    skills = serializers.ListField(
        child=serializers.CharField(max_length=50, allow_blank=False), required=False, max_length=100
    )

    def change(self) -> services.AccountChange:
        data = dict(self.validated_data)
        return services.AccountChange(**data)


class AccountCreateSerializer(_AccountInput):
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=ROLE_CHOICES)


class AccountUpdateSerializer(_AccountInput):
    username = serializers.CharField(max_length=150, required=False)
    is_active = serializers.BooleanField(
        required=False, help_text="false deactivates: the user's tokens and sessions stop working at once."
    )
    reset_password = serializers.BooleanField(
        required=False,
        default=False,
        help_text="true: a new temporary password, answered once in `temporary_password`; the user's sessions "
        "and tokens end.",
    )


def _answer(user, temporary, status_code=status.HTTP_200_OK):
    user = selectors.accounts().get(pk=user.pk)
    return Response({**AccountSerializer(user).data, "temporary_password": temporary}, status=status_code)


class UserList(generics.ListAPIView):
    """Accounts, by username. Supervisors and superusers."""

    serializer_class = AccountSerializer
    permission_classes = [ManagesUsers]

    def get_queryset(self):
        params = self.request.query_params
        role, state = params.get("role", ""), params.get("state", "")
        if role and role not in selectors.ROLE_FILTERS:
            raise serializers.ValidationError(
                {"role": [_("One of %(values)s.") % {"values": ", ".join(selectors.ROLE_FILTERS)}]}
            )
        if state and state not in selectors.STATES:
            raise serializers.ValidationError({"state": [_("Use active or inactive.")]})
        return selectors.accounts(q=params.get("q", ""), role=role, state=state)

    @extend_schema(
        tags=["users"],
        parameters=[
            OpenApiParameter("q", str, description="Part of the username or name"),
            OpenApiParameter("role", str, enum=list(selectors.ROLE_FILTERS)),
            OpenApiParameter("state", str, enum=list(selectors.STATES)),
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["users"],
        request=AccountCreateSerializer,
        responses={
            201: AccountWithPasswordSerializer,
            400: OpenApiResponse(description="`errors` by field: a username taken, a role above yours, …"),
        },
    )
    def post(self, request, *args, **kwargs):
        serializer = AccountCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, temporary = services.create_account(by=request.user, change=serializer.change())
        return _answer(user, temporary, status.HTTP_201_CREATED)


class UserDetail(generics.GenericAPIView):
    serializer_class = AccountSerializer
    permission_classes = [ManagesUsers]
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return get_object_or_404(selectors.accounts(), pk=self.kwargs["pk"])

    @extend_schema(tags=["users"])
    def get(self, request, pk):
        return Response(AccountSerializer(self.get_object()).data)

    @extend_schema(
        tags=["users"],
        request=AccountUpdateSerializer,
        responses={
            200: AccountWithPasswordSerializer,
            400: OpenApiResponse(description="`errors` by field"),
            403: OpenApiResponse(description="The account has more rights than yours"),
        },
    )
    def patch(self, request, pk):
        user = self.get_object()
        serializer = AccountUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            user, temporary = services.update_account(by=request.user, user=user, change=serializer.change())
        except people.NotAllowed as refusal:
            raise exceptions.PermissionDenied(str(refusal)) from None
        return _answer(user, temporary)
