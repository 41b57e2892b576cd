"""Class probabilities for images sent in a request, from the project's current classifier.

Served in the web process from the classifier's ONNX export with onnxruntime (torch stays
out of the web process): one session per classifier version, loaded on first use and kept.
The images are decoded as imports decode them (labelapp.images.decoding), then cropped and
resized as the training cache does, so an uploaded photo gets the probabilities the app
would store for it; nothing is written anywhere.
"""

import io
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from PIL import Image as PILImage

from labelapp.images.decoding import ImageRejected, decode_image, square_pixels
from labelapp.learning.model_export import NoExport, export_file, read_export
from labelapp.learning.models import ModelVersion
from labelapp.projects.models import Project

MAX_IMAGES = 32  # per request
MAX_IMAGE_BYTES = 20 * 1024 * 1024
CACHED_SESSIONS = 4  # classifier versions kept loaded (about 15 MB each for EfficientNet)
SESSION_THREADS = 1  # per call: gunicorn's workers and threads share the cores


class PredictionRefused(Exception):
    """The request cannot be answered; ``status`` is the HTTP status, ``str()`` the reason."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class SentImage:
    name: str
    data: bytes


@dataclass(frozen=True)
class Predictions:
    version: ModelVersion
    class_ids: list[int]
    class_names: list[str]
    probabilities: np.ndarray  # (images, classes) float32


_sessions: OrderedDict[int, Any] = OrderedDict()
_sessions_lock = threading.Lock()


def predict_images(project: Project, images: list[SentImage]) -> Predictions:
    """Probabilities of each image from ``project.current_classifier``.

    Raises:
        PredictionRefused: 422 for no images, too many, or one that is not a picture we
            accept; 413 for a file over MAX_IMAGE_BYTES; 409 without a usable classifier.
    """
    if not images:
        raise PredictionRefused(422, "Send one or more images in the 'files' field.")
    if len(images) > MAX_IMAGES:
        raise PredictionRefused(
            422, f"At most {MAX_IMAGES} images per request ({len(images)} sent)."
        )
    for image in images:
        if len(image.data) > MAX_IMAGE_BYTES:
            raise PredictionRefused(
                413, f"{image.name}: the file is over {MAX_IMAGE_BYTES // 1024**2} MB."
            )
    version = project.current_classifier
    if version is None:
        raise PredictionRefused(
            409, "This project has no classifier yet: label some images, then train and predict."
        )
    session = _session(version)
    size = int(session.get_inputs()[0].shape[2])
    batch = np.stack([_pixels(image, size) for image in images])
    (probabilities,) = session.run(["probabilities"], {"images": batch})
    return Predictions(
        version=version,
        class_ids=[int(c) for c in version.config["classes"]],
        class_names=list(version.config.get("class_names") or []),
        probabilities=np.asarray(probabilities, dtype=np.float32),
    )


def _pixels(image: SentImage, size: int) -> np.ndarray:
    """The picture as an import stores it (upright RGB), then as training crops it."""
    try:
        decoded = decode_image(image.data, settings.IMPORT_MAX_PIXELS, thumbnail_pixels=8)
    except ImageRejected as error:
        raise PredictionRefused(422, f"{image.name}: {error}") from None
    with PILImage.open(io.BytesIO(decoded.stored_bytes)) as picture:
        return square_pixels(picture, size)


def _session(version: ModelVersion) -> Any:
    with _sessions_lock:
        if version.pk in _sessions:
            _sessions.move_to_end(version.pk)
            return _sessions[version.pk]
    try:
        name = export_file(version, "onnx")
    except NoExport as error:
        raise PredictionRefused(409, str(error)) from None
    try:
        session = _load_session(read_export(name))
    except Exception as error:  # a damaged or unreadable file: say so, do not crash
        raise PredictionRefused(
            409, f"The ONNX file of {version} cannot be loaded ({error}); retrain it."
        ) from None
    with _sessions_lock:
        _sessions[version.pk] = session
        while len(_sessions) > CACHED_SESSIONS:
            _sessions.popitem(last=False)
    return session


def _load_session(model: bytes) -> Any:
    import onnxruntime  # on first use: most web processes never predict

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = SESSION_THREADS
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
