"""SimCLR in pure PyTorch: augmentation, encoder, projection head, NT-Xent loss, training.

No Django or Celery here; the workers call these entry points:

* ``pretrain(config, dataset, checkpoint_dir, progress, should_cancel, device)``
  -> :class:`PretrainResult` (trained encoder f + metrics). ``dataset`` is a uint8
  (N, 3, H, W) tensor or an :class:`ImageFolderDataset` / :class:`TarImageDataset`;
  ``progress`` receives :class:`TrainingProgress` events; ``should_cancel()`` is checked
  between steps and raises :class:`TrainingCancelled`. Presets: :func:`cpu_preset`,
  :func:`gpu_preset`. Reload with :func:`load_pretrained_encoder(checkpoint_dir)`.
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

from simclr_core.augment import AugmentationConfig, augment_images, make_views
from simclr_core.calibration import expected_calibration_error, fit_temperature
from simclr_core.data import (
    ImageFolderDataset,
    TarImageDataset,
    load_labeled_images,
    open_image_source,
)
from simclr_core.encoder import Encoder, EncoderConfig, build_encoder
from simclr_core.extract import extract_representations, iterate_representations
from simclr_core.fine_tune import FineTuneConfig, FineTunedClassifier, fine_tune
from simclr_core.head import ProjectionHead
from simclr_core.hyperparameters import load_config, save_config
from simclr_core.knn import knn_accuracy, knn_predict_probabilities
from simclr_core.label_propagation import (
    build_knn_graph,
    label_propagation_probabilities,
    propagate_labels,
)
from simclr_core.linear_probe import LinearProbe, fit_linear_probe
from simclr_core.loss import nt_xent_loss
from simclr_core.pretrain import (
    KnnMonitorData,
    PretrainResult,
    load_pretrained_encoder,
    pretrain,
)
from simclr_core.pretrain_config import PretrainConfig, cpu_preset, gpu_preset
from simclr_core.progress import TrainingCancelled, TrainingProgress

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
    "ProjectionHead",
    "TarImageDataset",
    "TrainingCancelled",
    "TrainingProgress",
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
]
