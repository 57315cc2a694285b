"""The Sales role: salespeople see and update their own appointments.

Self-contained like 0002_role_groups: the permission and the group are copied here as they were
when the role was added (the live definitions are Access.Meta.permissions and
callcenter.roles.ROLE_PERMISSIONS)."""

from django.db import migrations

PERMISSION = ("work_appointments", "See and update one's own appointments (sales)")
GROUP = "Sales"


def create_sales_role(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _created = ContentType.objects.get_or_create(app_label="callcenter", model="access")
    codename, name = PERMISSION
    permission, _created = Permission.objects.get_or_create(
        content_type=content_type, codename=codename, defaults={"name": name}
    )
    group, _created = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [("callcenter", "0003_audit_append_only")]

    operations = [
        migrations.AlterModelOptions(
            name="access",
            options={
                "default_permissions": (),
                "managed": False,
                "permissions": [
                    ("manage_lists", "Manage customers, DNC, segments, campaigns, lists and scripts"),
                    ("use_console", "Work the operator call console"),
                    ("view_customers", "View customers"),
                    ("view_dashboard", "View KPI dashboards of all campaigns"),
                    ("view_client_kpis", "View KPIs of own campaigns (client viewer)"),
                    ("export_data", "Export customers and reports"),
                    ("view_audit", "View the audit trail"),
                    ("work_appointments", "See and update one's own appointments (sales)"),
                ],
            },
        ),
        migrations.RunPython(create_sales_role, migrations.RunPython.noop),
    ]
