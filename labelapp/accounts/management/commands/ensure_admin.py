"""Create the first admin account unless one exists.

The password comes from ``LABELAPP_ADMIN_PASSWORD``; without it one is generated and
printed once (it is not stored anywhere else).
"""

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from labelapp.env import env_str


class Command(BaseCommand):
    help = "Create the first admin account if there is none."

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        if user_model.objects.filter(is_superuser=True).exists():
            return
        username = env_str("LABELAPP_ADMIN_USERNAME", "admin")
        password = env_str("LABELAPP_ADMIN_PASSWORD")
        generated = not password
        if generated:
            password = secrets.token_urlsafe(12)
        user_model.objects.create_superuser(username=username, email="", password=password)
        if generated:
            self.stdout.write(
                f"\n  Created the admin account.\n  username: {username}\n"
                f"  password: {password}\n  (shown once; change it after signing in)\n\n"
            )
        else:
            self.stdout.write(f"Created the admin account {username!r}.")
