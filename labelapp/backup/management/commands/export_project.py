"""labelapp manage export_project <project id> <archive.zip>"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from labelapp.backup.exporting import export_project
from labelapp.projects.models import Project


class Command(BaseCommand):
    help = "Write a project, its images, labels, models and predictions to one zip archive."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("project_id", type=int)
        parser.add_argument("archive", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        project = Project.objects.filter(pk=options["project_id"]).first()
        if project is None:
            raise CommandError(f"There is no project {options['project_id']}.")
        destination: Path = options["archive"]
        if not destination.parent.is_dir():
            raise CommandError(f"The folder {str(destination.parent)!r} does not exist.")
        try:
            counts = export_project(project, destination)
        except OSError as error:
            raise CommandError(f"The archive could not be written: {error}") from error
        summary = ", ".join(f"{count} {table}" for table, count in counts.items())
        self.stdout.write(f"Exported project {project.pk} to {destination}: {summary}.")
