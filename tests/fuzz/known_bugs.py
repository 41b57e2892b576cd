"""Failures the fuzzer found in code this suite does not own, reported to its owners.
Each is expected to fail (strict): when one is fixed its test passes, and the entry must go.
Deterministic reproductions of the 500s are in test_found_bugs.py."""

KNOWN_BUGS: dict[tuple[str, str], str] = {}
