"""The training child's progress to its parent: every phase shown, fast ticks thinned."""

import json
from typing import Any

from labelapp.learning.training_process import progress_to_parent


def test_fast_ticks_within_a_phase_are_thinned_but_new_phases_and_notes_go_through(
    capsys: Any,
) -> None:
    progress = progress_to_parent(min_interval=60.0)

    for step in range(1, 101):  # fine-tuning ticks every optimizer step
        progress(step / 200, f"Cross-validating fine tune: {step}/100 optimizer steps")
    progress(0.5, "Cross-validating linear probe")
    progress(0.6, "Cross-validating linear probe: 1/6 fits")
    progress(None, "Resumed from the checkpoint after step 40")

    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(event["fraction"], event["message"]) for event in events] == [
        (0.005, "Cross-validating fine tune: 1/100 optimizer steps"),
        (0.5, "Cross-validating linear probe"),
        (None, "Resumed from the checkpoint after step 40"),
    ]
    assert {event["event"] for event in events} == {"progress"}
