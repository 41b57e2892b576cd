"""simclr_core stays framework-free: importing it never loads Django or Celery."""

import subprocess
import sys

CHECK = """
import importlib, pkgutil, sys
import simclr_core
for module in pkgutil.walk_packages(simclr_core.__path__, "simclr_core."):
    if module.name != "simclr_core.__main__":
        importlib.import_module(module.name)
loaded = sorted(name for name in sys.modules if name.split(".")[0] in ("django", "celery"))
print(",".join(loaded))
"""


def test_importing_every_submodule_loads_no_django_or_celery():
    result = subprocess.run(
        [sys.executable, "-c", CHECK], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
