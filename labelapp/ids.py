"""Database ids from untrusted input: one bound for every path, query and body.

Every id column is a 64-bit signed integer. A larger number (2**63 and up) can never name
a row, yet handing it to the database raises (SQLite: "Python int too large to convert",
a server error) instead of finding nothing. So ids are bounded where they enter: web URLs
use the ``<id:...>`` path converter (out of range: no match, 404), the API's schemas and
parameters the :data:`DatabaseId` type (out of range: 422), and code that reads an id from
text calls :func:`parse_id`.
"""

from typing import Annotated

from django.urls import register_converter
from pydantic import Field

MAX_ID = 2**63 - 1

DatabaseId = Annotated[int, Field(ge=1, le=MAX_ID)]


def parse_id(text: str) -> int | None:
    """The id written in ``text`` (decimal digits), or None when it is not one."""
    if not text.isdigit() or not text.isascii() or len(text) > len(str(MAX_ID)):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


class IdConverter:
    """``<id:name>``: like Django's ``<int:name>``, but only numbers an id column can hold."""

    regex = "[0-9]+"

    def to_python(self, value: str) -> int:
        parsed = parse_id(value)
        if parsed is None:
            raise ValueError(f"{value} is not a database id")  # the URL does not match: 404
        return parsed

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")
