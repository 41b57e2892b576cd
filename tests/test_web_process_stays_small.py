"""The web server does not load torch at start-up (about 500 MB and seconds per worker);
only pages that compute with it (near duplicates, the map) load it, on first use."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROGRAM = """
import sys, django
django.setup()
import labelapp.urls, labelapp.wsgi
print("torch" in sys.modules and "loaded" or "absent")
"""


def test_web_process_starts_without_torch() -> None:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "labelapp.settings"}

    output = subprocess.run(
        [sys.executable, "-c", PROGRAM], cwd=ROOT, env=environment,
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout  # fmt: skip

    assert output.strip().splitlines()[-1] == "absent"
