"""``labelapp manage remove_orphan_files``: delete media files that no row refers to."""

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from labelapp.images.orphans import find_orphan_files, remove_orphan_files


class Command(BaseCommand):
    help = "Delete image, thumbnail and staging files that no database row refers to."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--min-age-minutes", type=int, default=60, help="leave younger files alone"
        )
        parser.add_argument("--dry-run", action="store_true", help="only list them")

    def handle(self, *args: Any, **options: Any) -> None:
        min_age = timedelta(minutes=max(0, options["min_age_minutes"]))
        if options["dry_run"]:
            names = list(find_orphan_files(min_age))
        else:
            names = remove_orphan_files(min_age)
        for name in names:
            self.stdout.write(name)
        verb = "would be removed" if options["dry_run"] else "removed"
        self.stdout.write(f"{len(names)} orphan files {verb}.")
