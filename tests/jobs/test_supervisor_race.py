"""A result the child writes while the worker records its progress still reaches the job."""

import sys
import threading
from pathlib import Path

from labelapp.learning.supervisor import Event, run_child

# The child reports progress, waits until the worker is recording that progress (the "go"
# file), then writes its result and exits.
CHILD = """
import json, os, sys, time
print(json.dumps({"event": "progress"}), flush=True)
while not os.path.exists(sys.argv[1]):
    time.sleep(0.01)
print(json.dumps({"event": "done", "value": 7}), flush=True)
"""


def wait_for_the_output_to_be_read() -> None:
    for thread in threading.enumerate():
        if "_read_output" in thread.name:
            thread.join(timeout=30)


def test_a_result_written_while_progress_is_recorded_is_delivered(tmp_path: Path) -> None:
    go = tmp_path / "go"
    delivered: list[Event] = []

    def on_event(event: Event) -> None:
        delivered.append(event)
        if event["event"] == "progress":  # a slow database write, during which
            go.touch()  # the child writes its result and exits
            wait_for_the_output_to_be_read()

    run_child(
        [sys.executable, "-c", CHILD, str(go)],
        on_event=on_event,
        on_log=lambda line: None,
        should_cancel=lambda: False,
        time_limit_seconds=60,
    )

    assert delivered == [{"event": "progress"}, {"event": "done", "value": 7}]
