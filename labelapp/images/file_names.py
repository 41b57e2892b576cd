"""File names made from what people typed: safe on every storage, never empty."""

from django.core.exceptions import SuspiciousFileOperation
from django.utils.text import get_valid_filename


def safe_file_name(text: str, fallback: str, max_length: int = 80) -> str:
    """Letters, digits, ``-_.`` only; ``fallback`` when nothing usable is left ("??", "..")."""
    try:
        name = get_valid_filename(text)
    except SuspiciousFileOperation:
        return fallback
    name = name.lstrip(".")[-max_length:]
    return name or fallback
