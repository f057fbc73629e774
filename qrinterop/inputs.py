"""Reading the files a user names on the command line: bounded, strict, one line when unusable.

A path typed by mistake can name ``/dev/zero``, a disk image or a folder; a file can hold
JSON nested thousands deep or a number JSON does not have (``NaN``, ``Infinity``, ``1e999``).
Each of these would otherwise read forever, overflow the parser's stack or carry a value no
later JSON writer may emit. Every command reads user files through here, so each is refused
once, the same way: :class:`UsageError` (exit 2) naming the file and what is wrong.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from qrinterop.errors import UsageError

#: Far above any ICS, waiver list, key, message or day's reconciliation file; far below what
#: would exhaust memory. One figure for every input, so that no command reads without bound.
MAX_INPUT_BYTES = 64 * 1024 * 1024
#: A file a person writes by hand (an ICS, a waiver list) is a few KB.
MAX_HANDWRITTEN_BYTES = 1024 * 1024
#: A PEM key is a few hundred bytes; a path to /dev/zero or a disk image is no key.
MAX_KEY_FILE_BYTES = 64 * 1024


def read_input(path: Path, what: str, limit: int = MAX_INPUT_BYTES,
               error: type[Exception] = UsageError) -> bytes:
    """The bytes of ``path``, at most ``limit`` of them; ``error`` (a :class:`UsageError`
    unless the caller's own kind of refusal) naming ``what`` (e.g. "ICS file") when it is
    missing, a folder, unreadable or larger than ``limit``."""
    try:
        with path.open("rb") as stream:
            data = stream.read(limit + 1)
    except FileNotFoundError:
        raise error(f"{what} not found: {path}") from None
    except IsADirectoryError:
        raise error(f"{what} {path} is a directory, not a file") from None
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise error(f"{what} {path}: more than {limit:,} bytes, too large to read")
    return data


def non_finite(data: Any) -> str | None:
    """The path (``a.b.0``) of the first NaN or infinite number in parsed JSON or YAML data,
    or None. Iterative, so that hostile nesting cannot overflow the stack here."""
    for path, value in _leaves(data):
        if isinstance(value, float) and not math.isfinite(value):
            return ".".join(path) or "(top)"
    return None


def as_evidence(data: Any) -> tuple[Any, str | None]:
    """What an SUT sent, fit to be kept in a JSON file: NaN and the infinities, which JSON
    has no way to write, become the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``; with
    the path of the first such number (None, and ``data`` itself, when there is none). The
    evidence is kept as valid JSON, and says what was changed, rather than lost."""
    where = non_finite(data)
    if where is None:
        return data, None
    return json.loads(json.dumps(data), parse_constant=str), where


def loads_json(raw: bytes | str) -> Any:
    """Parse strict JSON (the protocol's own parser): duplicate member names, NaN, Infinity,
    numbers beyond a double or I-JSON's integers, and nesting deeper than the protocol allows
    are all refused as ``ValueError``."""
    from qrinterop.protocol.canonical import strict_loads

    return strict_loads(raw)


def load_json(path: Path, what: str) -> Any:
    """The JSON document in a user's file; :class:`UsageError` naming the file and the fault
    when it cannot be read or is not strict JSON (:func:`loads_json`)."""
    return _json_of(path, what, read_input(path, what))


def _json_of(path: Path, what: str, raw: bytes) -> Any:
    try:
        return loads_json(raw)
    except ValueError as exc:   # also bad UTF-8 (UnicodeDecodeError is a ValueError)
        raise UsageError(f"{what} {path} does not parse as JSON: {exc}") from None


def _leaves(data: Any) -> Iterator[tuple[tuple[str, ...], Any]]:
    stack: list[tuple[tuple[str, ...], Any]] = [((), data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            stack.extend(((*path, str(key)), item) for key, item in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend(((*path, str(n)), item) for n, item in reversed(list(enumerate(value))))
        else:
            yield path, value


def load_checked(path: Path, what: str, schema_file: Path) -> Any:
    """The JSON document in ``path`` (:func:`load_json`), which must satisfy the JSON Schema
    in ``schema_file``: :class:`UsageError` naming the file and its first problem otherwise.
    For the suite's own data files (the defect catalogue, the simulated network, the rows
    sources), which people edit by hand beside their schema."""
    from qrinterop.profile import file_schema_error

    raw = read_input(path, what)
    document = _json_of(path, what, raw)
    if problem := file_schema_error(_schema_text(schema_file), raw.decode("utf-8")):
        raise UsageError(f"{what} {path}: at {problem} (schema: {schema_file.name})")
    return document


@cache
def _schema_text(path: Path) -> str:
    """A schema file's text, once it parses as JSON."""
    raw = read_input(path, "schema")
    _json_of(path, "schema", raw)
    return raw.decode("utf-8")
