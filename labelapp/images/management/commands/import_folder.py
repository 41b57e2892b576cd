"""``labelapp manage import_folder <project id> <folder>``: import a folder on the server.

Every file under the folder (zip archives included) goes through the same checks as an
upload; the per-file report is printed and kept on a new UploadBatch.
"""

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from labelapp.images.folder_labels import label_from_folders
from labelapp.images.importing import import_sources
from labelapp.images.models import UploadBatch
from labelapp.images.sources import folder_sources
from labelapp.learning.embedding import schedule_embedding
from labelapp.projects.models import Project


class Command(BaseCommand):
    help = "Import every image (and zip archive) under a folder into a project."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("project_id", type=int)
        parser.add_argument("folder", type=Path)
        parser.add_argument("--user", help="username recorded as the uploader")
        parser.add_argument("--quiet-added", action="store_true", help="list only problems")
        parser.add_argument(
            "--labels-from-folders", action="store_true", help="label images by their folder"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        project = Project.objects.filter(pk=options["project_id"]).first()
        if project is None:
            raise CommandError(f"There is no project with id {options['project_id']}.")
        folder: Path = options["folder"]
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder.")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"There is no user named {options['user']!r}.")
        batch = UploadBatch.objects.create(
            project=project, created_by=user, labels_from_folders=options["labels_from_folders"]
        )
        report = import_sources(batch, folder_sources(folder.resolve()), self._progress)
        if batch.labels_from_folders:
            labels = label_from_folders(batch)
            self.stdout.write(f"{labels.applied} images labeled by their folder.")
        for entry in report.entries:
            if entry["status"] != "added" or not options["quiet_added"]:
                message = f"  {entry['message']}" if entry["message"] else ""
                self.stdout.write(f"{entry['status']:<9} {entry['name']}{message}")
        counts = report.counts
        self.stdout.write(
            f"Batch {batch.pk}: {counts['added']} added, {counts['duplicate']} duplicates, "
            f"{counts['rejected']} rejected."
        )
        if counts["added"] and (embed := schedule_embedding(project, user)) is not None:
            self.stdout.write(f"Queued job {embed.pk} to compute their representations.")

    def _progress(self, fraction: float | None, message: str | None = None, **_: Any) -> None:
        if fraction is not None:
            self.stderr.write(f"{fraction:6.1%}  {message or ''}")
