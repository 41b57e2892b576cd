"""The few-label classifier methods, by name: the one list that the app's menus, its job
options and cross-validation use. No torch here, so a web process can read it."""

# Cheap enough for any device: the candidates cross-validated by default. The first is kept
# unless another is clearly better (classifier_selection.choose_method), so it goes first.
DEFAULT_METHODS = ("self_training", "linear_probe", "label_propagation")
# Fine-tuning trains the whole encoder once per fold: a candidate on an accelerator.
ALL_METHODS = (*DEFAULT_METHODS, "fine_tune")
# Methods whose probabilities come out uncalibrated: a temperature is fitted on their
# out-of-fold probabilities of the scored labels (the others calibrate themselves).
CALIBRATED_HERE = ("self_training", "fine_tune")
# Methods that read the kNN graph of the features (built once per job, or handed in).
GRAPH_METHODS = ("self_training", "label_propagation")
