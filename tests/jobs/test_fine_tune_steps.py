"""A train job's optional "fine_tune_steps" (the tests' shorter budget) reaches fine-tuning;
without it the default budget holds."""

import dataclasses

from labelapp.learning import training_process
from simclr_core.fewlabel.fine_tune import FineTuneConfig


def test_fine_tune_steps_from_the_spec_replace_only_the_step_count():
    shorter = training_process.fine_tune_config({"fine_tune_steps": 20})

    assert shorter == dataclasses.replace(FineTuneConfig(), steps=20)


def test_without_fine_tune_steps_the_default_budget_holds():
    assert training_process.fine_tune_config({}) == FineTuneConfig()
    assert training_process.fine_tune_config({"fine_tune_steps": None}) == FineTuneConfig()
