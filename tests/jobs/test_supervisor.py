"""The supervisor keeps reading a child's output when recording a log line fails."""

import sys

from workers.supervisor import run_child

CHILD = 'print("epoch 1 of 1"); print("{\\"event\\": \\"done\\", \\"value\\": 7}")'


def test_a_failing_log_line_does_not_lose_the_result() -> None:
    def on_log(line: str) -> None:
        raise RuntimeError("the database went away")  # what a dropped connection can do

    events = run_child(
        [sys.executable, "-c", CHILD],
        on_event=lambda event: None,
        on_log=on_log,
        should_cancel=lambda: False,
        time_limit_seconds=60,
    )

    assert events == [{"event": "done", "value": 7}]
