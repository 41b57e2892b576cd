"""A trained few-label classifier as one network: uint8 images in, class probabilities out.

The network is the encoder f (which scales and normalizes the pixels itself) followed by
the head that gave the stored predictions: a linear probe's power normalization, logistic
regression and temperature, or a fine-tuned encoder's linear layer and temperatures. It is
written as TorchScript (``torch.jit.load``) and ONNX (``onnxruntime``), so that the
probabilities it gives outside this code are the ones the app stored.

Input: uint8 RGB images (batch, 3, size, size), already brought to ``size`` the way the app
decodes them (centre crop to a square, bicubic resize). Output: float32 (batch, classes).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from simclr_core.fewlabel.fine_tune import FineTunedClassifier
from simclr_core.fewlabel.linear_probe import LinearProbe
from simclr_core.ssl.encoder import Encoder

MISSING_CLASS_LOGIT = -1e4  # as LinearProbe.decision_logits gives classes without labels
PROBABILITY_FLOOR = 1e-6  # as calibration.probabilities_to_logits floors them
ONNX_OPSET = 17


class LinearProbeHead(nn.Module):
    """h (batch, dim) -> softmax(W norm(h) + b) / T): :class:`LinearProbe` in float64."""

    mean: torch.Tensor
    weight: torch.Tensor
    bias: torch.Tensor

    def __init__(self, probe: LinearProbe) -> None:
        super().__init__()
        weight, bias = probe_weights(probe)
        self.register_buffer("mean", torch.as_tensor(probe.scaler.mean, dtype=torch.float64))
        self.register_buffer("weight", torch.as_tensor(weight, dtype=torch.float64))
        self.register_buffer("bias", torch.as_tensor(bias, dtype=torch.float64))
        self.temperature = float(probe.temperature)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        values = h.double()
        centred = torch.sign(values) * torch.sqrt(torch.abs(values)) - self.mean
        norms = torch.sqrt((centred * centred).sum(dim=1, keepdim=True))
        unit = centred / torch.clamp(norms, min=1e-12)
        logits = unit @ self.weight.t() + self.bias
        return torch.softmax(logits / self.temperature, dim=1).float()


def probe_weights(probe: LinearProbe) -> tuple[np.ndarray, np.ndarray]:
    """A (num_classes, dim) weight and (num_classes,) bias giving ``decision_logits``.

    sklearn's binary model scores only its second class (the first scores 0); classes
    without labels get the constant -1e4 that ``decision_logits`` gives them.
    """
    dim = len(probe.scaler.mean)
    weight = np.zeros((probe.num_classes, dim))
    bias = np.full(probe.num_classes, MISSING_CLASS_LOGIT)
    bias[probe.classes] = 0.0
    if probe.model is not None:
        coefficients = np.asarray(probe.model.coef_, dtype=np.float64)
        intercepts = np.asarray(probe.model.intercept_, dtype=np.float64)
        scored = probe.classes[1:] if len(coefficients) == 1 else probe.classes
        weight[scored] = coefficients
        bias[scored] = intercepts
    return weight, bias


class FineTunedHead(nn.Module):
    """Logits of the fine-tuned linear layer -> probabilities, with both temperatures.

    The app applies the model's own temperature, then (when it calibrated fine-tuning on
    held-out labels) ``softmax(log(max(p, 1e-6)) / T)``; this repeats both steps.
    """

    def __init__(self, model: FineTunedClassifier, calibration: float | None) -> None:
        super().__init__()
        self.classifier = model.classifier
        self.temperature = float(model.temperature)
        self.calibration = float(calibration) if calibration is not None else 0.0

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        logits = self.classifier(h).double()
        probabilities = torch.softmax(logits / self.temperature, dim=1).float()
        if self.calibration > 0:
            floored = torch.log(torch.clamp(probabilities.double(), min=PROBABILITY_FLOOR))
            probabilities = torch.softmax(floored / self.calibration, dim=1).float()
        return probabilities


class ExportedClassifier(nn.Module):
    """Images uint8 (batch, 3, size, size) -> class probabilities float32 (batch, classes)."""

    def __init__(self, encoder: Encoder, head: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = head

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        probabilities: torch.Tensor = self.head(self.encoder(images))
        return probabilities


def build_exported_classifier(
    encoder: Encoder,
    model: LinearProbe | FineTunedClassifier,
    calibration: float | None = None,
) -> ExportedClassifier:
    """The whole classifier as one module, in eval mode on the CPU.

    ``encoder`` gives h for a linear probe; a fine-tuned model brings its own encoder.
    ``calibration`` is the temperature fitted on fine-tuning's held-out labels, if any.

    Raises:
        TypeError: for a model that is neither a linear probe nor a fine-tuned network.
    """
    if isinstance(model, LinearProbe):
        exported = ExportedClassifier(encoder, LinearProbeHead(model))
    elif isinstance(model, FineTunedClassifier):
        exported = ExportedClassifier(model.encoder, FineTunedHead(model, calibration))
    else:
        raise TypeError(f"cannot export a {type(model).__name__}")
    return exported.cpu().eval()


def save_torchscript(model: ExportedClassifier, path: Path, image_size: int) -> None:
    """Trace ``model`` at ``image_size`` (a fixed side; any batch size) into ``path``."""
    with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # shape arithmetic of "same" padding is traced as fixed
        traced = torch.jit.trace(  # type: ignore[no-untyped-call]
            model, _example(image_size), check_trace=False
        )
        traced.save(str(path))


def save_onnx(model: ExportedClassifier, path: Path, image_size: int) -> None:
    """ONNX (input "images" uint8, output "probabilities"; the batch axis is dynamic)."""
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (_example(image_size),),
            str(path),
            dynamo=False,  # the TorchScript-based exporter needs no onnxscript
            opset_version=ONNX_OPSET,
            input_names=["images"],
            output_names=["probabilities"],
            dynamic_axes={"images": {0: "batch"}, "probabilities": {0: "batch"}},
        )


def _example(image_size: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(0)
    return torch.randint(0, 256, (2, 3, image_size, image_size), generator=generator).to(
        torch.uint8
    )
