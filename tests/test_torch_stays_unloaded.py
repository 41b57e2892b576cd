"""Processes that never compute do not load torch (about 500 MB and seconds each): the web
server at start-up (only the page that computes with it, the map, loads it on
first use), and a worker running import jobs."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SETUP = "import sys, django\ndjango.setup()\n"
REPORT = '\nprint("torch" in sys.modules and "loaded" or "absent")\n'
PROGRAMS = {
    "web process": "import labelapp.urls, labelapp.wsgi",
    "import worker": "import workers.tasks\nfrom labelapp.jobs.handlers import handler_for\n"
    'handler_for("import")',
    "web process predicting": "import labelapp.urls, labelapp.learning.predict_service\n"
    "import onnxruntime",  # what predict_service imports on first use
}


@pytest.mark.parametrize("process", sorted(PROGRAMS))
def test_torch_is_not_loaded(process: str) -> None:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "labelapp.settings"}

    output = subprocess.run(
        [sys.executable, "-c", SETUP + PROGRAMS[process] + REPORT], cwd=ROOT, env=environment,
        capture_output=True, text=True, check=True, timeout=120,
    ).stdout  # fmt: skip

    assert output.strip().splitlines()[-1] == "absent"
