"""The supervisor hands every event of a child to the job, and says what it knows when a
child ends without its result."""

import sys
import time
from pathlib import Path

import pytest

from labelapp.jobs.context import JobContext
from labelapp.jobs.models import Job, JobKind
from labelapp.learning import child_jobs
from labelapp.learning.supervisor import ChildGaveNoResult, run_child

CHILD = 'print("epoch 1 of 1"); print("{\\"event\\": \\"done\\", \\"value\\": 7}")'
# The child writes its result, leaves a process holding its stdout, and exits.
LEAVES_A_PROCESS = """
import subprocess
sleeper = subprocess.Popen(["sleep", "60"])
print(f"sleeper {sleeper.pid}")
print('{"event": "done"}', flush=True)
"""
NO_RESULT = 'print("{\\"event\\": \\"progress\\"}"); print("loading"); print("nothing to do")'


def run_quietly(command: list[str]) -> object:
    return run_child(
        command,
        on_event=lambda event: None,
        on_log=lambda line: None,
        should_cancel=lambda: False,
        time_limit_seconds=60,
    )


def is_running(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" not in status.read_text()


def ends_within(seconds: float, pid: int) -> bool:
    deadline = time.monotonic() + seconds
    while is_running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)  # a killed process takes a moment to go
    return not is_running(pid)


def test_a_failing_log_line_does_not_lose_the_result() -> None:
    def on_log(line: str) -> None:
        raise RuntimeError("the database went away")  # what a dropped connection can do

    run = run_child(
        [sys.executable, "-c", CHILD],
        on_event=lambda event: None,
        on_log=on_log,
        should_cancel=lambda: False,
        time_limit_seconds=60,
    )

    assert run.events == [{"event": "done", "value": 7}]


def test_a_process_left_holding_the_output_is_stopped_and_the_result_kept() -> None:
    started = time.monotonic()
    run = run_quietly([sys.executable, "-c", LEAVES_A_PROCESS])

    assert run.events == [{"event": "done"}]
    assert run.stdout_left_open
    assert time.monotonic() - started < 20
    sleeper = int(run.last_lines[0].split()[1])
    assert ends_within(5, sleeper)


def test_an_ending_without_a_result_is_described() -> None:
    run = run_quietly([sys.executable, "-c", NO_RESULT])

    assert run.describe() == (
        "exit code 0; events received: 1 (the last: 'progress'); its stdout was read to the"
        " end; last lines of output: loading | nothing to do"
    )


@pytest.mark.django_db
def test_the_job_error_says_what_is_known(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(child_jobs, "child_command", lambda *_: [sys.executable, "-c", NO_RESULT])
    job = Job.objects.create(kind=JobKind.PRETRAIN)

    with pytest.raises(ChildGaveNoResult) as raised:
        child_jobs.run_training_command(JobContext(job=job, device="cpu"), "pretrain", {})

    assert str(raised.value).startswith("the pretrain process ended without a result: exit code 0")
    assert "last lines of output: loading | nothing to do" in str(raised.value)
