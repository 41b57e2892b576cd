"""Which accelerator this worker process trains on."""

import torch


def detect_device() -> str:
    """``cuda``, ``mps`` or ``cpu``, the best that this machine has."""
    if torch.cuda.is_available():
        return "cuda"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def describe_device(device: str) -> str:
    if device == "cuda":
        return f"cuda ({torch.cuda.get_device_name(0)})"
    if device == "cpu":
        return f"cpu ({torch.get_num_threads()} threads)"
    return device
