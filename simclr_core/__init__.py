"""SimCLR in pure PyTorch: augmentation, encoder, projection head, NT-Xent loss, training.

No Django or Celery here; the training child (labelapp/learning/training_process.py),
benchmarks and notebooks call these entry points:

* ``pretrain(config, dataset, checkpoint_dir, progress, should_cancel, device)``
  -> :class:`PretrainResult` (trained encoder f + metrics). ``dataset`` is a uint8
  (N, 3, H, W) tensor or an :class:`ImageFolderDataset` / :class:`TarImageDataset`;
  ``progress`` is a :class:`Progress` callback (fraction, message, time left, loss);
  ``should_cancel()`` is checked between steps and raises :class:`TrainingCancelled`.
  Presets: :func:`cpu_preset`, :func:`gpu_preset`. Reload with
  :func:`load_pretrained_encoder(checkpoint_dir)`.
* ``extract_representations(encoder, images, batch_size, device, output)`` -> (N, dim) float32
  array of h, streamed batch by batch (pass an ``np.memmap`` as ``output`` for big sets);
  :func:`iterate_representations` yields the batches instead.
* Few-label classifiers on h, all with temperature-calibrated probabilities:
  ``fit_linear_probe(features, labels, num_classes).predict_probabilities(features)``;
  ``label_propagation_probabilities(build_knn_graph(features), labeled_indices, labels,
  num_classes)``; ``fine_tune(encoder, images, labels, num_classes, config, device)
  .predict_probabilities(images)``; ``knn_predict_probabilities(bank, bank_labels, queries,
  num_classes)``.
* ``expected_calibration_error(probabilities, labels)``.

Command line: ``python -m simclr_core pretrain | embed | evaluate``.
"""

import importlib
from typing import Any

# Public names and the module that defines each. They are imported on first use, so that
# importing one light module (say simclr_core.curation.label_errors) does not load torch.
_EXPORTS_BY_MODULE: dict[str, tuple[str, ...]] = {
    "ssl.augment": ("AugmentationConfig", "augment_images", "make_views"),
    "fewlabel.calibration": ("expected_calibration_error", "fit_temperature"),
    "data": ("ImageFolderDataset", "TarImageDataset", "load_labeled_images", "open_image_source"),
    "ssl.encoder": ("Encoder", "EncoderConfig", "build_encoder"),
    "ssl.extract": ("extract_representations", "iterate_representations"),
    "fewlabel.fine_tune": ("FineTuneConfig", "FineTunedClassifier", "fine_tune"),
    "ssl.head": ("ProjectionHead",),
    "hyperparameters": ("load_config", "save_config"),
    "ssl.knn": ("knn_accuracy", "knn_predict_probabilities"),
    "fewlabel.label_propagation": (
        "build_knn_graph",
        "label_propagation_probabilities",
        "propagate_labels",
    ),
    "fewlabel.linear_probe": ("LinearProbe", "fit_linear_probe"),
    "ssl.loss": ("nt_xent_loss",),
    "ssl.pretrain": ("KnnMonitorData", "PretrainResult", "load_pretrained_encoder", "pretrain"),
    "ssl.pretrain_config": ("PretrainConfig", "cpu_preset", "gpu_preset"),
    "progress": ("Progress", "TrainingCancelled", "within"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS_BY_MODULE.items() for name in names}


def __getattr__(name: str) -> Any:
    if name not in _MODULE_OF:
        raise AttributeError(f"module 'simclr_core' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"simclr_core.{_MODULE_OF[name]}"), name)
    globals()[name] = value
    return value


__all__ = [
    "AugmentationConfig",
    "Encoder",
    "EncoderConfig",
    "FineTuneConfig",
    "FineTunedClassifier",
    "ImageFolderDataset",
    "KnnMonitorData",
    "LinearProbe",
    "PretrainConfig",
    "PretrainResult",
    "Progress",
    "ProjectionHead",
    "TarImageDataset",
    "TrainingCancelled",
    "augment_images",
    "build_encoder",
    "build_knn_graph",
    "cpu_preset",
    "expected_calibration_error",
    "extract_representations",
    "fine_tune",
    "fit_linear_probe",
    "fit_temperature",
    "gpu_preset",
    "iterate_representations",
    "knn_accuracy",
    "knn_predict_probabilities",
    "label_propagation_probabilities",
    "load_config",
    "load_labeled_images",
    "load_pretrained_encoder",
    "make_views",
    "nt_xent_loss",
    "open_image_source",
    "pretrain",
    "propagate_labels",
    "save_config",
    "within",
]
