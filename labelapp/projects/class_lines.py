"""Reading the "one class per line" text of the new-project form.

A line is ``name``, optionally followed by a colour ``#rrggbb`` and a one-character key,
in any order after the name: ``cat``, ``cat #e15759``, ``cat #e15759 c``. Missing colours
are filled in from a palette, missing keys by :func:`fill_keys`.
"""

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

PALETTE = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#b6992d",
]  # fmt: skip
DEFAULT_KEYS = "1234567890"
MAX_CLASSES = 50
COLOR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")
RESERVED_KEYS = set("az ")  # "a" accepts a prediction, "z" undoes


class ClassLinesError(ValueError):
    pass


def fill_keys(names: Sequence[str], keys: Sequence[str], taken: Collection[str] = ()) -> list[str]:
    """``keys`` (one per name, "" for none given) with the blanks filled in, none of them in
    ``taken`` or twice: a class named by one character is typed with it (class "0" with 0,
    not with the tenth key), the others get the first free of 1-9, 0 in order, until none
    is left."""
    filled = [key.lower() for key in keys]
    used = set(taken) | set(filled)
    for index, name in enumerate(names):
        own = name.strip().lower()
        if not filled[index] and len(own) == 1 and own not in RESERVED_KEYS and own not in used:
            filled[index] = own
            used.add(own)
    free = [key for key in DEFAULT_KEYS if key not in used]
    return [key or (free.pop(0) if free else "") for key in filled]


@dataclass(frozen=True)
class ClassSpec:
    name: str
    color: str
    key: str


def _split_line(line: str, number: int) -> tuple[str, str, str]:
    words = line.split()
    color = key = ""
    while len(words) > 1 and (COLOR_PATTERN.match(words[-1]) or len(words[-1]) == 1):
        word = words.pop()
        if COLOR_PATTERN.match(word) and not color:
            color = word.lower()
        elif len(word) == 1 and not key:
            key = word.lower()
        else:
            raise ClassLinesError(f"Line {number}: '{word}' is given twice.")
    name = " ".join(words)
    if len(name) > 100:
        raise ClassLinesError(f"Line {number}: a class name may have at most 100 characters.")
    return name, color, key


def parse_class_lines(text: str) -> list[ClassSpec]:
    """The classes described by ``text``; raises ClassLinesError with a readable message."""
    lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:
        raise ClassLinesError("Give at least one class, one per line.")
    if len(lines) > MAX_CLASSES:
        raise ClassLinesError(f"A project may have at most {MAX_CLASSES} classes.")
    return build_class_specs([_split_line(line, number) for number, line in lines])


def build_class_specs(entries: list[tuple[str, str, str]]) -> list[ClassSpec]:
    """Checks (name, colour, key) triples and fills in missing colours and keys."""
    if not entries:
        raise ClassLinesError("Give at least one class.")
    if len(entries) > MAX_CLASSES:
        raise ClassLinesError(f"A project may have at most {MAX_CLASSES} classes.")
    for name, color, key in entries:
        if not name.strip() or len(name) > 100:
            raise ClassLinesError("A class name needs 1 to 100 characters.")
        if color and not COLOR_PATTERN.match(color):
            raise ClassLinesError(f"'{color}' is not a colour like #e15759.")
        if len(key) > 1 or key.lower() in RESERVED_KEYS:
            raise ClassLinesError(f"'{key}' cannot be a key: use one character other than a, z.")
    names = [name.strip().casefold() for name, _, _ in entries]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ClassLinesError(f"Each class needs its own name; repeated: {', '.join(duplicates)}.")
    given_keys = [key.lower() for _, _, key in entries if key]
    if len(given_keys) != len(set(given_keys)):
        raise ClassLinesError("Two classes have the same key.")
    keys = fill_keys([name for name, _, _ in entries], [key for _, _, key in entries])
    return [
        ClassSpec(name.strip(), (color or PALETTE[index % len(PALETTE)]).lower(), key)
        for index, ((name, color, _), key) in enumerate(zip(entries, keys, strict=True))
    ]
