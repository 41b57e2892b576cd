"""The production configuration (HTTPS=1) passes Django's deployment checks and marks
every cookie secure. Settings are read in a fresh process, as a server would."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_REPORT = """
import json
from django.conf import settings
names = ["DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
         "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_CONTENT_TYPE_NOSNIFF",
         "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SAMESITE", "X_FRAME_OPTIONS"]
print(json.dumps({name: getattr(settings, name) for name in names}))
"""


def _production_environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    # A production server has none of these; the browser tests set the last one.
    unwanted = {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment = {k: v for k, v in os.environ.items() if k not in unwanted}
    environment.update(
        DJANGO_SETTINGS_MODULE="labelapp.settings",
        LABELAPP_DATA_DIR=str(tmp_path),
        DATABASE_URL=os.environ.get("DATABASE_URL", ""),
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="labels.example.org",
        HTTPS="1",
        **extra,
    )
    return environment


def _run(arguments: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_nothing(tmp_path: Path) -> None:
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        _production_environment(tmp_path),
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_https_marks_cookies_secure_and_turns_on_hsts(tmp_path: Path) -> None:
    code = "import django; django.setup()\n" + SETTINGS_REPORT
    result = _run(["-c", code], _production_environment(tmp_path))
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SAMESITE": "Lax",
        "X_FRAME_OPTIONS": "DENY",
    }


def test_a_generated_secret_key_is_private_to_its_owner(tmp_path: Path) -> None:
    environment = _production_environment(tmp_path)
    del environment["SECRET_KEY"]
    result = _run(["-c", "import django; django.setup()"], environment)
    assert result.returncode == 0, result.stderr
    key_file = tmp_path / "secret_key"
    assert key_file.stat().st_mode & 0o077 == 0
    assert len(key_file.read_text().strip()) >= 50


def test_tests_run_with_debug_off() -> None:
    assert settings.DEBUG is False
