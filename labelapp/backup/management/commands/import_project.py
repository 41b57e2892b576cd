"""labelapp manage import_project <archive.zip> [--owner username]"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from labelapp.backup.archive_format import ArchiveError
from labelapp.backup.importing import import_project


class Command(BaseCommand):
    help = "Import a project archive written by export_project as a new project."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path)
        parser.add_argument("--owner", help="a user of this instance to make the project's owner")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = import_project(options["archive"], options["owner"])
        except ArchiveError as error:
            raise CommandError(str(error)) from error
        summary = ", ".join(f"{count} {table}" for table, count in result.counts.items())
        self.stdout.write(f"Imported as project {result.project.pk}: {summary}.")
        if result.missing_users:
            names = ", ".join(sorted(result.missing_users))
            self.stdout.write(
                f"These users do not exist here; their memberships were skipped and their "
                f"labels kept without a user: {names}."
            )
