"""No private key, cloud credential or hard-coded Django secret in any tracked file."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY"),
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "AWS secret": re.compile(r"aws_secret_access_key\s*[=:]\s*['\"]?[A-Za-z0-9/+]{40}", re.I),
    "Django SECRET_KEY literal": re.compile(r"SECRET_KEY\s*=\s*['\"][^'\"]{8,}['\"]"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abpr]-[A-Za-z0-9-]{10,}"),
    "API token of this app": re.compile(r"\blbl_[A-Za-z0-9_-]{40,}"),
    "password in a URL": re.compile(
        r"\b(?:postgres(?:ql)?|redis|amqp|mysql)://[^:/@\s]+:"
        r"(?!(?:secret|password|CHANGE-ME)@)[^@\s{]{3,}@"
    ),
}  # documentation examples use the placeholders secret, password and CHANGE-ME
SKIPPED_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".zip", ".gz", ".pt", ".npz", ".ico"}
THIS_FILE = Path(__file__).resolve()


def _tracked_files() -> list[Path]:
    listing = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60
    ).stdout.decode()
    return [ROOT / name for name in listing.split("\0") if name]


def test_no_tracked_file_holds_a_secret() -> None:
    found: list[str] = []
    for path in _tracked_files():
        if (
            path.suffix.lower() in SKIPPED_SUFFIXES
            or path.resolve() == THIS_FILE
            or not path.is_file()
        ):
            continue
        text = path.read_bytes()[:2_000_000].decode("utf-8", errors="ignore")
        for what, pattern in PATTERNS.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert found == []


def test_the_patterns_find_what_they_look_for() -> None:
    samples = {
        "private key": "-----BEGIN RSA PRIVATE KEY-----",
        "AWS access key id": "key = AKIAABCDEFGHIJKLMNOP",
        "Django SECRET_KEY literal": 'SECRET_KEY = "django-insecure-abcdefgh"',
        "password in a URL": "postgres://app:hunter22@db/app",
    }
    for what, sample in samples.items():
        assert PATTERNS[what].search(sample), what


def test_the_data_directory_is_ignored_by_git() -> None:
    result = subprocess.run(
        ["git", "check-ignore", "-q", "data/secret_key"], cwd=ROOT, capture_output=True, timeout=30
    )
    assert result.returncode == 0, "data/ (with the generated secret key) must be in .gitignore"
