"""The canonical JSON form signatures cover: RFC 8785, the JSON Canonicalization Scheme (JCS).

A signature covers bytes, not JSON values, so every implementation must turn a message into
exactly the same bytes. JCS is the published rule for that, with implementations in Java, Go,
C#, JavaScript and others, so an institution does not have to reverse-engineer ours.

The profile's messages carry only null, booleans, integers, strings, arrays and objects, and
this module implements JCS for exactly those (RFC 8785 §3.2):

- no white space between tokens;
- object members sorted by name, names compared as arrays of UTF-16 code units (§3.2.3). This
  differs from Python's code-point order only for names mixing characters above U+FFFF with
  characters in U+E000..U+FFFF, which ``json.dumps(sort_keys=True)`` gets wrong;
- strings escape ``"`` and ``\\``, write U+0008, U+0009, U+000A, U+000C and U+000D as ``\\b``,
  ``\\t``, ``\\n``, ``\\f``, ``\\r``, the other characters below U+0020 as ``\\u00xx`` (lower-case
  hex), and everything else literally (§3.2.2.2); the result is UTF-8 (§3.2.4);
- integers are written in decimal, which is what JCS's ECMAScript number formatting gives for
  integers within ±(2**53 − 1).

Refused, with :class:`CanonicalFormError` naming the value's path: floats (amounts are integer
fen, and float formatting is where JCS implementations disagree most), integers beyond
±(2**53 − 1) (JCS would round them to the nearest IEEE 754 double, I-JSON RFC 7493 §2.2), lone
surrogates (not Unicode, RFC 8785 §3.2.2.2), non-string object names, non-JSON types, and
nesting deeper than Python's recursion limit allows.

:func:`strict_loads` is the matching parser: it refuses duplicate member names, since two
parsers may keep different duplicates and so check different content than was signed;
nesting deeper than :data:`MAX_DEPTH`, before parsing, so that no hostile document can exhaust
the receiver's stack; and numbers no other parser reads alike (I-JSON, RFC 7493 §2.2): integers
beyond ±(2**53 − 1), which also overflow every store of money, ``NaN``, ``Infinity`` and
numbers such as ``1e400`` that no double holds. Every simulated service parses what it
receives with it, and only once.
"""

from __future__ import annotations

import json
import math
import re

#: The deepest nesting of arrays and objects a received document may have. The profile's
#: messages nest four levels (envelope, body, encrypted field, its parts); 64 leaves room for
#: any honest document and stops one built to exhaust the parser's recursion.
MAX_DEPTH = 64
#: A string literal or one bracket: what decides how deep a JSON document nests.
_NESTING_TOKEN = re.compile(rb'"(?:[^"\\]++|\\.)*+"|[\[\]{}]')

#: The largest integer that survives the IEEE 754 double JCS numbers are (RFC 7493 §2.2).
MAX_SAFE_INTEGER = 2**53 - 1

_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f",
                  "\r": "\\r"}
_ESCAPES = {chr(c): _SHORT_ESCAPES.get(chr(c), f"\\u{c:04x}") for c in range(0x20)}
_ESCAPES.update(_SHORT_ESCAPES)
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]')
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SPECIAL = re.compile(r'["\\\x00-\x1f\ud800-\udfff]')


class CanonicalFormError(ValueError):
    """A value that has no canonical form in this profile; ``path`` says where it is."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path: list[str] = []

    def __str__(self) -> str:
        return f"{'/'.join(self.path) or '(value)'}: {self.reason}"


def canonicalize(value: object) -> bytes:
    """The RFC 8785 (JCS) bytes of ``value``; :class:`CanonicalFormError` if it has none."""
    out: list[str] = []
    try:
        _write(value, out)
    except RecursionError:      # hostile nesting must be refused, not crash the receiver
        raise CanonicalFormError("the value is nested too deeply") from None
    return "".join(out).encode("utf-8")


def strict_loads(raw: bytes | str) -> object:
    """Parse JSON, refusing duplicate member names and nesting deeper than :data:`MAX_DEPTH`
    (``ValueError``, like any JSON error; ``UnicodeDecodeError``, a ``ValueError`` too, for
    bytes that are not UTF-8)."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if (depth := nesting_depth(data)) > MAX_DEPTH:
        raise ValueError(f"JSON nested {depth} deep, deeper than the {MAX_DEPTH} levels "
                         "allowed")
    try:
        return json.loads(raw, object_pairs_hook=_unique_members, parse_int=_safe_int,
                          parse_float=_finite_float, parse_constant=_no_constant)
    except RecursionError:      # not reached within MAX_DEPTH; kept as a last guard
        raise ValueError("JSON nested too deeply") from None


def _safe_int(text: str) -> int:
    value = int(text)
    if abs(value) > MAX_SAFE_INTEGER:
        raise ValueError(f"integer {text[:30]} is beyond ±(2**53 − 1) (I-JSON, RFC 7493 §2.2)")
    return value


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:30]} is beyond what a double holds")
    return value


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def has_lone_surrogate(value: object) -> bool:
    """Whether a parsed document holds a lone surrogate anywhere (JSON's ``\\ud800`` escape
    allows one; Unicode, and so every signature and every UTF-8 store, does not)."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def unicode_text(text: str) -> str:
    """``text`` with any lone surrogate written as its ``\\uXXXX`` escape: text that can be
    signed or stored while still saying what arrived."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def nesting_depth(raw: bytes) -> int:
    """How deep the arrays and objects of a JSON text nest (brackets inside strings do not
    count), without parsing it: a linear scan that cannot recurse."""
    depth = deepest = 0
    for token in _NESTING_TOKEN.finditer(raw):
        mark = token.group()
        if mark in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif mark in (b"]", b"}"):
            depth -= 1
    return deepest


def _unique_members(pairs: list[tuple[str, object]]) -> dict:
    members = dict(pairs)
    if len(members) != len(pairs):
        names = [name for name, _ in pairs]
        duplicate = next(name for name in names if names.count(name) > 1)
        raise ValueError(f"duplicate member name {duplicate!r} in a JSON object")
    return members


def _write(value: object, out: list[str]) -> None:
    # Exact type checks: bool is an int, and a str or int subclass may format itself oddly.
    kind = type(value)
    if type(value) is str:
        out.append(_string(value))
    elif value is None or kind is bool:
        out.append("null" if value is None else "true" if value else "false")
    elif type(value) is int:
        if abs(value) > MAX_SAFE_INTEGER:
            raise CanonicalFormError(f"integer {value} is beyond ±(2**53 − 1), which JCS cannot "
                                     "represent exactly")
        out.append(str(value))
    elif type(value) is dict:
        _write_object(value, out)
    elif type(value) is list or type(value) is tuple:
        _write_array(value, out)
    elif kind is float:
        raise CanonicalFormError(f"{value!r} is a float; the profile's numbers are integers "
                                 "(amounts in fen)")
    else:
        raise CanonicalFormError(f"a {kind.__name__} is not a JSON value")


def _write_object(value: dict, out: list[str]) -> None:
    out.append("{")
    name = None
    try:
        for n, (name, item) in enumerate(sorted(value.items(), key=_utf16_order)):
            out.append(f',{_string(name)}:' if n else f'{_string(name)}:')
            _write(item, out)
    except CanonicalFormError as exc:
        if name is not None:        # None: a member name itself was refused while sorting
            exc.path.insert(0, name)
        raise
    out.append("}")


def _write_array(value: list | tuple, out: list[str]) -> None:
    out.append("[")
    n = 0
    try:
        for n, item in enumerate(value):
            out.append("," if n else "")
            _write(item, out)
    except CanonicalFormError as exc:
        exc.path.insert(0, str(n))
        raise
    out.append("]")


def _utf16_order(member: tuple[object, object]) -> bytes:
    """Sort key: the name as big-endian UTF-16, whose byte order is code-unit order."""
    name = member[0]
    if type(name) is not str:
        raise CanonicalFormError(f"object member name {name!r} is not a string")
    return name.encode("utf-16-be", "surrogatepass")


def _string(text: str) -> str:
    if _SPECIAL.search(text) is None:       # the common case: nothing to escape or refuse
        return f'"{text}"'
    if _SURROGATE.search(text):
        raise CanonicalFormError(f"string {text!r} holds a lone surrogate, which is not Unicode")
    return '"' + _NEEDS_ESCAPE.sub(lambda match: _ESCAPES[match.group()], text) + '"'
