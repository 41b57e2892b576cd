"""A worker that only imports images never loads torch (about 500 MB of memory)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = """
import sys, django
django.setup()
import workers.tasks
from workers.handlers import handler_for
handler_for("import")
print("torch" in sys.modules and "loaded" or "absent")
"""


def test_import_jobs_do_not_load_torch() -> None:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "labelapp.settings"}
    output = subprocess.run(
        [sys.executable, "-c", PROGRAM], cwd=ROOT, env=environment,
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout  # fmt: skip

    assert output.strip().splitlines()[-1] == "absent"
