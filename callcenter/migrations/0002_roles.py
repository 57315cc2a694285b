"""Create the four role groups with their permissions (callcenter.roles.ROLE_PERMISSIONS)."""

from django.db import migrations

from callcenter.roles import sync_role_groups


def create_roles(apps, schema_editor):
    sync_role_groups(
        apps.get_model("auth", "Group"),
        apps.get_model("auth", "Permission"),
        apps.get_model("contenttypes", "ContentType"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("callcenter", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
