"""Few-label classifiers on representations: linear probe, label propagation, fine-tuning,
temperature calibration, and picking the best by cross-validation."""
