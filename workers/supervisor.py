"""Run heavy work in a child process that the task can watch, time out and kill.

The child writes one JSON object per line on stdout (progress events); anything else it
prints goes to the job's log tail. Cancelling or exceeding the time limit terminates the
child's whole process group (DataLoader workers included). On Linux the child also dies
with its parent (``die_with_parent`` in the child), so a SIGKILLed worker leaves no
orphan training.
"""

import json
import logging
import os
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

logger = logging.getLogger(__name__)

Event = dict[str, Any]
POLL_SECONDS = 0.5
TERMINATE_GRACE_SECONDS = 5.0


class ChildFailed(RuntimeError):
    """The child exited with an error; the message holds its last lines of output."""


class ChildCancelled(Exception):
    """The child was stopped because the job was cancelled."""


class ChildTimedOut(RuntimeError):
    """The child ran past its time limit and was stopped."""


def run_child(
    command: Sequence[str],
    on_event: Callable[[Event], None],
    on_log: Callable[[str], None],
    should_cancel: Callable[[], bool],
    time_limit_seconds: float,
    env: dict[str, str] | None = None,
) -> list[Event]:
    """Run ``command`` to completion and return every event it emitted.

    Raises ChildCancelled, ChildTimedOut or ChildFailed; in each case the child is gone.
    """
    child = subprocess.Popen(
        list(command),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        start_new_session=True,
        env=env,
    )
    events: list[Event] = []
    last_lines: deque[str] = deque(maxlen=30)
    reader = threading.Thread(
        target=_read_output, args=(child, events, last_lines, on_log), daemon=True
    )
    reader.start()
    delivered = 0
    deadline = time.monotonic() + time_limit_seconds
    try:
        while child.poll() is None:
            time.sleep(POLL_SECONDS)
            delivered = _deliver(events, delivered, on_event)
            if should_cancel():
                raise ChildCancelled()
            if time.monotonic() > deadline:
                raise ChildTimedOut(f"Stopped after the time limit of {time_limit_seconds:.0f} s.")
    finally:
        _stop(child)
        reader.join(timeout=5)
    _deliver(events, delivered, on_event)
    if child.returncode != 0:
        tail = "\n".join(last_lines).strip()
        raise ChildFailed(tail.splitlines()[-1] if tail else f"exit code {child.returncode}")
    return events


def _deliver(events: list[Event], delivered: int, on_event: Callable[[Event], None]) -> int:
    for event in events[delivered:]:
        on_event(event)
    return len(events)


def _read_output(
    child: subprocess.Popen[str],
    events: list[Event],
    last_lines: deque[str],
    on_log: Callable[[str], None],
) -> None:
    assert child.stdout is not None
    for line in child.stdout:
        stripped = line.strip()
        if stripped.startswith("{"):
            try:
                events.append(json.loads(stripped))
                continue
            except json.JSONDecodeError:
                pass
        if stripped:
            last_lines.append(stripped)
            try:
                on_log(stripped)
            except Exception:  # a lost log line must not stop the reading: the result follows
                logger.warning("could not record a line of the child's log", exc_info=True)


def _stop(child: subprocess.Popen[str]) -> None:
    if child.poll() is not None:
        return
    try:
        os.killpg(child.pid, signal.SIGTERM)
        child.wait(TERMINATE_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    except ProcessLookupError:
        child.wait()


def die_with_parent() -> None:
    """Called first thing in a child: on Linux, get SIGKILL when the parent dies."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    pr_set_pdeathsig = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
