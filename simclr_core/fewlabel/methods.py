"""The few-label classifier methods, by name: the one list that the app's menus, its job
options and cross-validation use. No torch here, so a web process can read it."""

# Cheap enough for any device: the candidates cross-validated by default.
DEFAULT_METHODS = ("linear_probe", "label_propagation")
# Fine-tuning trains the whole encoder once per fold: a candidate on an accelerator.
ALL_METHODS = (*DEFAULT_METHODS, "fine_tune")
