"""Run heavy work in a child process that the task can watch, time out and kill.

The child writes one JSON object per line on stdout (progress events); anything else it
prints goes to the job's log tail. Cancelling or exceeding the time limit terminates the
child's whole process group (DataLoader workers included). On Linux the child also dies
with its parent (``die_with_parent`` in the child), so a SIGKILLed worker leaves no
orphan training.
"""

import contextlib
import json
import logging
import os
import queue
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

Event = dict[str, Any]
Output = Event | str  # an event, or a line of the child's log
POLL_SECONDS = 0.5
TERMINATE_GRACE_SECONDS = 5.0
OUTPUT_GRACE_SECONDS = 5.0  # how long an exited child's output may stay open
LINES_IN_DESCRIPTION = 5


class ChildFailed(RuntimeError):
    """The child exited with an error; the message holds its last lines of output."""


class ChildCancelled(Exception):
    """The child was stopped because the job was cancelled."""


class ChildTimedOut(RuntimeError):
    """The child ran past its time limit and was stopped."""


class ChildGaveNoResult(RuntimeError):
    """The child exited without error but never wrote its result; the message says what is
    known (see ChildRun.describe)."""


@dataclass(frozen=True)
class ChildRun:
    """How a child that exited by itself ended, and everything it reported."""

    events: list[Event]
    exit_code: int
    last_lines: list[str]  # its last lines of output that were not events
    stdout_left_open: bool  # another process still held its stdout after it exited

    def describe(self) -> str:
        """What is known, for a job's error when the child gave no result."""
        last_event = self.events[-1].get("event") if self.events else None
        parts = [
            f"exit code {self.exit_code}",
            f"events received: {len(self.events)}"
            + (f" (the last: {last_event!r})" if last_event else ""),
            "its stdout was still open after it exited (a process it started held it)"
            if self.stdout_left_open
            else "its stdout was read to the end",
            "last lines of output: " + " | ".join(self.last_lines[-LINES_IN_DESCRIPTION:])
            if self.last_lines
            else "it printed nothing but events",
        ]
        return "; ".join(parts)


def run_child(
    command: Sequence[str],
    on_event: Callable[[Event], None],
    on_log: Callable[[str], None],
    should_cancel: Callable[[], bool],
    time_limit_seconds: float,
    env: dict[str, str] | None = None,
) -> ChildRun:
    """Run ``command`` to completion and return every event it emitted.

    A thread only reads the child's output into a queue; this thread hands every event and
    line to the callbacks, in order, and after the child exits waits for the end of its
    output, so an event written just before the exit is never skipped.
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
    output: queue.SimpleQueue[Output] = queue.SimpleQueue()
    reader = threading.Thread(target=_read_output, args=(child, output), daemon=True)
    reader.start()
    delivery = _Delivery(on_event, on_log)
    deadline = time.monotonic() + time_limit_seconds
    try:
        while child.poll() is None:
            time.sleep(POLL_SECONDS)
            delivery.deliver(output)
            if should_cancel():
                raise ChildCancelled()
            if time.monotonic() > deadline:
                raise ChildTimedOut(f"Stopped after the time limit of {time_limit_seconds:.0f} s.")
    finally:
        _stop(child)
        stdout_left_open = _wait_for_end_of_output(child, reader)
    delivery.deliver(output)
    if child.returncode != 0:
        tail = "\n".join(delivery.last_lines).strip()
        raise ChildFailed(tail.splitlines()[-1] if tail else f"exit code {child.returncode}")
    return ChildRun(delivery.events, child.returncode, list(delivery.last_lines), stdout_left_open)


class _Delivery:
    """Hands the child's output to the callbacks in the order it was written."""

    def __init__(self, on_event: Callable[[Event], None], on_log: Callable[[str], None]) -> None:
        self.on_event, self.on_log = on_event, on_log
        self.events: list[Event] = []
        self.last_lines: deque[str] = deque(maxlen=30)

    def deliver(self, output: queue.SimpleQueue[Output]) -> None:
        while True:
            try:
                item = output.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, dict):
                self.events.append(item)
                self.on_event(item)
                continue
            self.last_lines.append(item)
            try:
                self.on_log(item)
            except Exception:  # a lost log line must not stop the delivery: the result follows
                logger.warning("could not record a line of the child's log", exc_info=True)


def _read_output(child: subprocess.Popen[str], output: queue.SimpleQueue[Output]) -> None:
    assert child.stdout is not None
    for line in child.stdout:
        stripped = line.strip()
        if stripped.startswith("{"):
            try:
                event = json.loads(stripped)
            except json.JSONDecodeError:
                pass
            else:
                if isinstance(event, dict):
                    output.put(event)
                    continue
        if stripped:
            output.put(stripped)


def _wait_for_end_of_output(child: subprocess.Popen[str], reader: threading.Thread) -> bool:
    """Wait until the exited child's output is read to the end; True if it was held open.

    A process the child started (and left running) keeps the pipe open; it is in the child's
    process group, which is then killed so that the rest of the output can be read.
    """
    reader.join(timeout=OUTPUT_GRACE_SECONDS)
    if not reader.is_alive():
        return False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGKILL)
    reader.join(timeout=OUTPUT_GRACE_SECONDS)
    if reader.is_alive():
        logger.warning("the output of child %s is still open; not waiting for it", child.pid)
    return True


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
