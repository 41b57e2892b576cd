"""Failures the fuzzer found in code this suite does not own, reported to its owners.
Each is expected to fail (strict): when one is fixed its test passes, and the entry must go.
Deterministic reproductions of the 500s are in test_found_bugs.py."""

OFFSET_OVERFLOW = (
    "500: labelapp/api/schemas.py Page.offset has no upper bound; offset >= 2**63 reaches "
    "PostgreSQL as a LIMIT/OFFSET and raises DataError 'bigint out of range'"
)
UNDOCUMENTED = (
    "the operation answers {codes} but its OpenAPI responses list only its success codes "
    "(ninja documents only the response= statuses)"
)

KNOWN_BUGS: dict[tuple[str, str], str] = {
    ("list_projects", "robust"): OFFSET_OVERFLOW,
    ("list_images", "robust"): OFFSET_OVERFLOW,
    ("list_predictions", "robust"): OFFSET_OVERFLOW,
    ("label_queue", "robust"): OFFSET_OVERFLOW,
    ("list_jobs", "robust"): OFFSET_OVERFLOW,
    ("create_project", "robust"): (
        "500: a NUL character in a class name (or project name/description) passes the "
        "ProjectIn schema and PostgreSQL refuses it (DataError) in projects/services.py:21"
    ),
    ("create_project", "documented"): UNDOCUMENTED.format(codes="422"),
    ("delete_project", "documented"): UNDOCUMENTED.format(codes="404"),
    ("upload_images", "documented"): UNDOCUMENTED.format(codes="422"),
    ("upload_status", "documented"): UNDOCUMENTED.format(codes="404"),
    ("set_labels", "documented"): UNDOCUMENTED.format(codes="404"),
    ("set_label", "documented"): UNDOCUMENTED.format(codes="422"),
    ("start_job", "documented"): UNDOCUMENTED.format(codes="404"),
    ("retry_job", "documented"): UNDOCUMENTED.format(codes="409"),
}
