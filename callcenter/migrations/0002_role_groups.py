"""The four role groups with their permissions.

Self-contained: the permissions of callcenter.Access and what each role is granted are copied here
as they were when the first database was created (the live definitions are Access.Meta.permissions
and callcenter.roles.ROLE_PERMISSIONS; a later change to them comes with a migration of its own).
Django creates permissions after the last migration (post_migrate); the ones the groups need are
created here already, with the same names."""

from django.db import migrations

ACCESS_PERMISSIONS = [
    ("manage_lists", "Manage customers, DNC, segments, campaigns, lists and scripts"),
    ("use_console", "Work the operator call console"),
    ("view_customers", "View customers"),
    ("view_dashboard", "View KPI dashboards of all campaigns"),
    ("view_client_kpis", "View KPIs of own campaigns (client viewer)"),
    ("export_data", "Export customers and reports"),
    ("view_audit", "View the audit trail"),
]

GROUP_PERMISSIONS = {
    "Supervisor": ["manage_lists", "view_customers", "view_dashboard", "export_data", "view_audit"],
    "Operator": ["use_console"],
    "Manager": ["view_customers", "view_dashboard", "export_data", "view_audit"],
    "Client viewer": ["view_client_kpis"],
}


def create_role_groups(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _created = ContentType.objects.get_or_create(app_label="callcenter", model="access")
    permissions = {}
    for codename, name in ACCESS_PERMISSIONS:
        permissions[codename], _created = Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
    for group_name, codenames in GROUP_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=group_name)
        group.permissions.add(*(permissions[codename] for codename in codenames))


class Migration(migrations.Migration):
    dependencies = [
        ("callcenter", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_role_groups, migrations.RunPython.noop)]
