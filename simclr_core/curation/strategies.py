"""The names of the "Label next" strategies of :mod:`simclr_core.curation.selection`, in a
module without torch so that the web app can check a name cheaply."""

# The strategies that offer the images the model is least sure of.
UNCERTAINTY_MEASURES = ("least_confidence", "margin", "entropy")
STRATEGY_NAMES = ("random", *UNCERTAINTY_MEASURES, "typical", "core_set", "default")
