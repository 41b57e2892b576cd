"""``python -m simclr_core``: see :mod:`simclr_core.cli`."""

import os

# Idle OpenMP threads sleep instead of spinning: on a shared CPU, spinning threads wait for
# descheduled partners and training runs 3-4x slower (measured on 2 shared cores).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from simclr_core.cli import main

raise SystemExit(main())
