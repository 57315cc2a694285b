"""Demo users, one per role, with known passwords (also listed in README.md)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from .roles import CLIENT_VIEWER, MANAGER, OPERATOR, ROLE_GROUPS, SALES, SUPERVISOR

# username, password, role, display name, is_superuser
DEMO_USERS = [
    ("admin", "admin-demo-2026", None, ("管理者", ""), True),
    ("supervisor", "supervisor-demo-2026", SUPERVISOR, ("佐藤", "花子"), False),
    ("operator1", "operator-demo-2026", OPERATOR, ("鈴木", "一郎"), False),
    ("operator2", "operator-demo-2026", OPERATOR, ("高橋", "美咲"), False),
    ("manager", "manager-demo-2026", MANAGER, ("田中", "健"), False),
    ("client", "client-demo-2026", CLIENT_VIEWER, ("山本", "商事"), False),
    ("sales", "sales-demo-2026", SALES, ("加藤", "健"), False),
]


def seed_users() -> dict[str, object]:
    """Create or refresh the demo users; returns them by username. Idempotent."""
    User = get_user_model()
    users = {}
    for username, password, role, (last, first), superuser in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"last_name": last, "first_name": first, "is_superuser": superuser, "is_staff": superuser},
        )
        if created:
            user.set_password(password)
            user.save()
        if role:
            user.groups.add(Group.objects.get(name=ROLE_GROUPS[role]))
        users[username] = user
    return users


def login_lines() -> list[str]:
    return [
        f"  {username:<11} {password:<22} {role or 'admin (superuser)'}"
        for username, password, role, _, _ in DEMO_USERS
    ]
