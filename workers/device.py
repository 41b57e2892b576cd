"""Which accelerator this worker process trains on (torch is imported only when asked)."""

import os


def detect_device() -> str:
    """``cuda``, ``mps`` or ``cpu``, the best that this machine has."""
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def describe_device(device: str) -> str:
    if device == "cuda":
        import torch

        return f"cuda ({torch.cuda.get_device_name(0)})"
    if device == "cpu":
        return f"cpu ({os.cpu_count()} cores)"
    return device
