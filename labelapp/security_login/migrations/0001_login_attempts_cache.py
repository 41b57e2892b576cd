"""The database cache table that holds failed sign-in counts (settings CACHES)."""

from typing import Any

from django.core.management import call_command
from django.db import migrations

TABLE = "labelapp_login_attempts_cache"


def create_table(apps: Any, schema_editor: Any) -> None:
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


def drop_table(apps: Any, schema_editor: Any) -> None:
    schema_editor.execute(f"DROP TABLE IF EXISTS {TABLE}")


class Migration(migrations.Migration):
    initial = True
    dependencies: list[tuple[str, str]] = []
    operations = [migrations.RunPython(create_table, drop_table)]
