"""EMV merchant-presented QR payloads: parse, build, validate, decode/encode and describe.

Lengths count characters, not bytes, and the CRC runs over UTF-8 bytes (EMV QRCPS MPM v1.0
§4.4, §4.7.3; Annex B carries Chinese text counted this way).

The per-ID rules (format, length, presence, allowed values, templates, currency exponents) are
data: ``profile/data/cn-interconnect/1.0/codes/emv-mpm.json``, compiled once at import into
lookup tables. :func:`validate` reports every problem as a :class:`Finding` tied to a
requirement of the profile's catalogue. It is built for throughput (a switch or a linter runs it
on every code it sees): one pass splits and checks each level, a value is looked at closely only
when a cheap test rejects it, and findings are built only for problems.
"""

from __future__ import annotations

import binascii
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from itertools import permutations
from pathlib import Path

from qrinterop.codes.findings import ERROR, LENIENT, Finding, Policy
from qrinterop.profile import DATA_DIR, DEFAULT_PROFILE

CRC_ID = "63"
#: Templates whose value is itself a list of data objects (MPM v1.0 Table 3.6).
TEMPLATE_IDS = frozenset({*(f"{i:02d}" for i in range(26, 52)), "62", "64",
                          *(f"{i:02d}" for i in range(80, 100))})
#: The rules file, next to the profile it belongs to.
RULES_PATH: Path = DATA_DIR.joinpath(*DEFAULT_PROFILE, "codes", "emv-mpm.json")


class PayloadError(ValueError):
    """The payload is not a well-formed sequence of ID-length-value data objects."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path


# -- CRC ------------------------------------------------------------------------------------------

def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection, no xorout.
    ``binascii.crc_hqx`` is exactly this CRC, computed in C."""
    return binascii.crc_hqx(data, 0xFFFF)


def crc_of(payload_through_6304: str) -> str:
    """The four upper-case hex characters that complete a payload ending in ``6304``."""
    return f"{binascii.crc_hqx(payload_through_6304.encode('utf-8'), 0xFFFF):04X}"


# -- data objects ---------------------------------------------------------------------------------

@dataclass(slots=True)
class DataObject:
    """One ID-length-value object; ``children`` is set for templates."""

    id: str
    value: str
    children: list[DataObject] | None = field(default=None)

    def child(self, sub_id: str) -> DataObject | None:
        return next((c for c in self.children or [] if c.id == sub_id), None)


# Header lookups: one dict hit both checks the two digits and converts them.
_LENGTHS = {f"{i:02d}": i for i in range(1, 100)}
_IDS = frozenset(f"{i:02d}" for i in range(100))
_BLENGTHS = {k.encode(): v for k, v in _LENGTHS.items()}
_BIDS = frozenset(k.encode() for k in _IDS)
_HEX = frozenset("0123456789ABCDEFabcdef")


# -- compiled rules -------------------------------------------------------------------------------

_N, _AN, _ANS, _S = 0, 1, 2, 3
_FORMAT_CODES = {"N": _N, "an": _AN, "ans": _ANS, "S": _S}
_FORMAT_TEXT = {
    _N: "N (digits 0-9)",
    _AN: "an (digits and letters A-Z, a-z)",
    _ANS: "ans (EMV common character set: printable ASCII 0x20-0x7E)",
    _S: "S (printable, precomposed Unicode)",
}

# How the one-pass check treats an object, decided once per (container, ID, length, payload
# kind) and cached: the length check is folded in, so most objects need no per-value work.
_K_ACCEPT = 0      # nothing to check (ans or S text of a valid length in a printable payload)
_K_DIGITS = 1      # accept when the value is ASCII digits (N)
_K_SET = 2         # accept when the value is in a precomputed set of acceptable values
_K_PRINTABLE = 3   # accept when the value is printable ASCII (ans or S in a non-ASCII payload)
_K_TEMPLATE = 4    # a template: check its objects
_K_CLOSER = 5      # always look closer (amounts, structured values, undefined IDs, bad lengths)


class _Rule:
    """One data object's rule, compiled from the data file."""

    __slots__ = ("accepted", "check", "container", "defined", "fmt", "id", "letters", "max",
                 "min", "name", "parts", "parts_req", "presence", "req", "unique_letters",
                 "values", "values_req")

    def __init__(self, obj_id: str, spec: dict, fmt_req: str, defined: bool = True) -> None:
        self.id = obj_id
        self.defined = defined
        self.name: str = spec["name"]
        self.presence: str = spec["presence"]
        self.fmt = _FORMAT_CODES[spec.get("format", "S")]
        self.min: int = spec.get("minLength", 1)
        self.max: int = spec.get("maxLength", 99)
        self.req: str = spec.get("requirement", fmt_req)
        values = spec.get("values")
        self.values = frozenset(values) if values else None
        self.values_req: str = spec.get("valuesRequirement", self.req)
        self.check: str | None = spec.get("check")
        letters = spec.get("letters")
        self.letters = letters["allowed"] if letters else None
        self.unique_letters = bool(letters and letters["unique"])
        self.parts = tuple((p["name"], p["length"], _FORMAT_CODES[p["format"]])
                           for p in spec.get("parts", ()))
        self.parts_req: str = spec.get("partsRequirement", self.req)
        self.container: _Container | None = None     # set for templates
        self.accepted: frozenset[str] | None = None  # set by _Container.link

    def acceptable(self) -> frozenset[str] | None:
        """Every value that passes all of this rule's checks, when that set is small enough
        to precompute; None otherwise."""
        if self.parts or not self.defined:
            return None
        if self.values is not None:
            return self.values
        if self.check == "currency":
            return frozenset(CURRENCIES)
        if self.check == "country-code":
            return frozenset(a + b for a in _UPPER for b in _UPPER)
        if self.check == "language-code":
            return frozenset(a + b for a in _LETTERS for b in _LETTERS)
        if self.letters is not None and self.unique_letters:
            return frozenset("".join(p) for size in range(self.min, self.max + 1)
                             for p in permutations(self.letters, size))
        return None

    def kind(self, length: int, plain: bool) -> int:
        """How the one-pass check treats a value of ``length`` characters, in a payload that
        is printable ASCII (``plain``) or not."""
        if self.container is not None:
            return _K_TEMPLATE
        if not self.min <= length <= self.max or (self.accepted is None and (
                self.check or self.letters or self.parts or not self.defined)):
            return _K_CLOSER
        if self.accepted is not None:
            return _K_SET
        if self.fmt == _N:
            return _K_DIGITS
        if self.fmt == _AN:
            return _K_CLOSER
        return _K_ACCEPT if plain else _K_PRINTABLE


class _Container:
    """The root or one kind of template: the rules of the objects it holds, keyed by every ID
    from 00 to 99 (IDs the data file does not define get a rule that reports them)."""

    __slots__ = ("at_least_one", "conditions", "fmt_req", "key", "mandatory", "mandatory_ids",
                 "min_objects", "mixed", "name", "plain", "presence_rules", "req", "rules")

    def __init__(self, key: str, spec: dict) -> None:
        self.key = key
        self.name: str = spec["name"]
        self.req: str = spec["requirement"]
        self.fmt_req: str = spec["formatRequirement"]
        self.min_objects: int = spec.get("minObjects", 0)
        self.rules: dict[str, _Rule] = {}
        for ids, rule_spec in _ranges_first(spec["objects"]):
            for obj_id in _expand(ids):
                self.rules[obj_id] = _Rule(obj_id, rule_spec, self.fmt_req)
        for obj_id in sorted(_IDS - self.rules.keys()):
            self.rules[obj_id] = _Rule(obj_id, {"name": f"ID {obj_id}", "presence": "O"},
                                       self.fmt_req, defined=False)
        self.mandatory = tuple(r for r in self.rules.values() if r.presence == "M")
        self.mandatory_ids = frozenset(r.id for r in self.mandatory)
        one = spec.get("atLeastOneOf")
        self.at_least_one = ((frozenset(_expand(one["ids"])), one["ids"], one["name"],
                              one["requirement"]) if one else None)
        self.conditions = tuple(_compile_condition(c, self) for c in spec.get("conditions", ()))
        #: rules judged after the level: at least one of a range, or conditions
        self.presence_rules = bool(self.at_least_one or self.conditions)
        #: 4-character ID+length header -> (id, length, kind, accepted values, rule), filled
        #: on first sight of each header, for printable-ASCII payloads and for the others
        self.plain: dict[str, tuple] = {}
        self.mixed: dict[str, tuple] = {}

    def head(self, head: str, plain: bool) -> tuple | None:
        """The cached entry of a 4-character header; None when it is not two 2-digit fields
        with a length from 01 to 99."""
        length = _LENGTHS.get(head[2:])
        rule = self.rules.get(head[:2])
        if length is None or rule is None or len(head) != 4:
            return None
        entry = (rule.id, length, rule.kind(length, plain), rule.accepted, rule)
        (self.plain if plain else self.mixed)[head] = entry
        return entry

    def link(self, spec: dict, templates: dict[str, _Container]) -> None:
        """Point template rules at their containers, then build the one-pass tables."""
        for ids, rule_spec in _ranges_first(spec["objects"]):
            if "template" in rule_spec:
                for obj_id in _expand(ids):
                    self.rules[obj_id].container = templates[rule_spec["template"]]
        for rule in self.rules.values():
            rule.accepted = rule.acceptable()


_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LETTERS = _UPPER + _UPPER.lower()


def _expand(ids: str) -> list[str]:
    low, _, high = ids.partition("-")
    return [f"{i:02d}" for i in range(int(low), int(high or low) + 1)]


def _ranges_first(objects: dict) -> list[tuple[str, dict]]:
    """Ranges before single IDs, so that a single ID overrides the range it falls in."""
    items = [(k, v) for k, v in objects.items() if not k.startswith("$")]
    return sorted(items, key=lambda kv: "-" not in kv[0])


def _compile_condition(spec: dict, container: _Container) -> tuple:
    if_id, if_value = spec["if"]["id"], spec["if"].get("value")
    then_id, then_value = spec["then"]["id"], spec["then"].get("value")
    not_zero = spec["then"].get("notZero", False)

    def state(obj_id: str, value: str | None, verb: str) -> str:
        name = f"{obj_id} ({container.rules[obj_id].name})"
        return f'{name} {verb} "{value}"' if value else f"{name} {verb} present"

    message = f"{state(if_id, if_value, 'is')}, so {state(then_id, then_value, 'must be')}"
    if not_zero:
        message += " and not zero"
    return (if_id, if_value, then_id, then_value, not_zero, spec["path"], spec["requirement"],
            spec["severity"], message)


def load_rules(path: Path = RULES_PATH) -> dict:
    """The rules file as JSON (validate() uses the copy compiled at import)."""
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


RULES: dict = load_rules()
#: ISO 4217 numeric code -> (alphabetic code, exponent).
CURRENCIES: dict[str, tuple[str, int]] = {
    k: (v["code"], v["exponent"]) for k, v in RULES["currencies"].items() if not k.startswith("$")}
_CHECK_REQ: dict[str, str] = {k: v["requirement"] for k, v in RULES["checks"].items()
                              if not k.startswith("$")}
_TEMPLATES = {k: _Container(k, v) for k, v in RULES["templates"].items()
              if not k.startswith("$")}
_ROOT = _Container("root", RULES["root"])
_ROOT.link(RULES["root"], _TEMPLATES)
for _key, _template in _TEMPLATES.items():
    _template.link(RULES["templates"][_key], _TEMPLATES)

_PAYLOAD = RULES["payload"]
_SYNTAX_REQ: str = _PAYLOAD["syntaxRequirement"]
_BYTES_REQ: str = _PAYLOAD["lengthCountRequirement"]
_FIRST: str = _PAYLOAD["first"]
_LAST: str = _PAYLOAD["last"]
_ORDER_REQ: str = _PAYLOAD["orderRequirement"]
_DUP_REQ: str = _PAYLOAD["duplicateRequirement"]
_CRC_REQ: str = _PAYLOAD["crc"]["requirement"]
_CRC_CASE_REQ: str = _PAYLOAD["crc"]["caseRequirement"]
_MAX_LEN: int = _PAYLOAD["maxLength"]["value"]
_MAX_LEN_REQ: str = _PAYLOAD["maxLength"]["requirement"]
_MAX_LEN_SEV: str = _PAYLOAD["maxLength"]["severity"]
_PAN_MIN: int = _PAYLOAD["cardNumber"]["minDigits"]
_PAN_MAX: int = _PAYLOAD["cardNumber"]["maxDigits"]
_PAN_REQ: str = _PAYLOAD["cardNumber"]["requirement"]
_PAN_SEV: str = _PAYLOAD["cardNumber"]["severity"]
_DIGIT_RUN = re.compile(f"[0-9]{{{_PAN_MIN},}}")
_LUHN_DOUBLE = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


# -- splitting and parsing ------------------------------------------------------------------------

def _split(text: str) -> tuple[list[tuple[str, str]], tuple[int, str, str | None] | None]:
    """Split ``text`` into (id, value) pairs, lengths counted in characters. On damage, return
    the pairs read so far and (offset, problem, id of the object or None)."""
    pairs: list[tuple[str, str]] = []
    pos, end = 0, len(text)
    lengths_get = _LENGTHS.get
    while pos < end:
        obj_id = text[pos:pos + 2]
        length = lengths_get(text[pos + 2:pos + 4])
        if length is None or obj_id not in _IDS:
            return pairs, _header_problem(text[pos:pos + 4], pos)
        stop = pos + 4 + length
        if stop > end:
            return pairs, _truncated(length, end - pos - 4, pos, obj_id)
        pairs.append((obj_id, text[pos + 4:stop]))
        pos = stop
    return pairs, None


def _split_bytes(text: str) -> list[tuple[str, str]] | None:
    """Split with lengths read as UTF-8 byte counts (the classic defect); None if that fails
    too, or if it cuts a character in two."""
    data = text.encode("utf-8", "surrogatepass")
    pairs = []
    pos, end = 0, len(data)
    while pos < end:
        obj_id = data[pos:pos + 2]
        length = _BLENGTHS.get(data[pos + 2:pos + 4])
        if length is None or obj_id not in _BIDS or pos + 4 + length > end:
            return None
        try:
            value = data[pos + 4:pos + 4 + length].decode("utf-8")
        except UnicodeDecodeError:
            return None
        pairs.append((obj_id.decode(), value))
        pos += 4 + length
    return pairs


def _header_problem(head: str, pos: int) -> tuple[int, str, str | None]:
    if len(head) == 4 and head.isascii() and head.isdigit():
        return pos, f"length 00 is not allowed (object at character {pos})", head[:2]
    if len(head) < 4:
        return pos, (f"malformed ID/length {head!r} at character {pos}: fewer than 4 "
                     "characters left"), None
    return pos, (f"malformed ID/length {head!r} at character {pos}: IDs and lengths are two "
                 "digits each"), None


def _truncated(length: int, left: int, pos: int, obj_id: str) -> tuple[int, str, str]:
    return pos, f"value truncated: length says {length}, {left} left (object at character " \
                f"{pos})", obj_id


def _join(path: str, obj_id: str) -> str:
    return f"{path}.{obj_id}" if path else obj_id


def _container_of(path: str) -> _Container | None:
    """The rules of the objects inside the object at ``path`` ("" is the root)."""
    container: _Container | None = _ROOT
    for part in path.split(".") if path else ():
        rule = container.rules.get(part) if container else None
        container = rule.container if rule else None
    return container


def _tree(text: str, path: str, container: _Container | None) -> list[DataObject]:
    pairs, problem = _split(text)
    if problem is not None:
        _, message, obj_id = problem
        raise PayloadError(message, _join(path, obj_id) if obj_id else path)
    objects = []
    for obj_id, value in pairs:
        sub = container.rules[obj_id].container if container else None
        objects.append(DataObject(obj_id, value, None if sub is None
                                  else _tree(value, _join(path, obj_id), sub)))
    return objects


def parse_objects(text: str, path: str = "") -> list[DataObject]:
    """Split ``text`` into data objects, descending into templates (26-51, 62, 64, 80-99 at
    the root, and 50-99 inside 62). ``path`` names where ``text`` sits ("" for the root)."""
    return _tree(text, path, _container_of(path))


def encode_objects(objects: Iterable[tuple[str, str | list]],
                   length: Callable[[str], int] = len) -> str:
    """Serialise ``(id, value)`` pairs; a list value is a template of nested pairs.

    ``length`` counts a value's length: characters, as EMVCo says. Passing another counter
    (UTF-8 bytes) reproduces the commonest defect of real generators, for test vectors and
    deliberately defective simulators."""
    out = []
    for obj_id, value in objects:
        text = value if isinstance(value, str) else encode_objects(value, length)
        size = length(text)
        if not 0 < size <= 99:
            raise PayloadError(f"value length {size} outside 1-99", obj_id)
        out.append(f"{obj_id}{size:02d}{text}")
    return "".join(out)


def build_payload(objects: Iterable[tuple[str, str | list]],
                  length: Callable[[str], int] = len) -> str:
    """A complete payload: the given objects (``00`` first) followed by a correct CRC."""
    body = encode_objects(objects, length) + CRC_ID + "04"
    return body + crc_of(body)


def utf8_length(text: str) -> int:
    """A value's length in UTF-8 bytes: wrong for EMV (R-MPM-02), common in the wild."""
    return len(text.encode("utf-8"))


@dataclass
class MerchantCode:
    """A parsed merchant-presented code, with the checks the switch and wallets rely on."""

    payload: str
    objects: list[DataObject]

    def get(self, obj_id: str) -> DataObject | None:
        return next((o for o in self.objects if o.id == obj_id), None)

    @property
    def crc_ok(self) -> bool:
        """The CRC value matches, in either letter case (upper case is what EMVCo shows;
        whether lower case is acceptable is a policy the linter decides, R-MPM-06)."""
        return self.payload[-4:].upper() == crc_of(self.payload[:-4])

    @property
    def is_static(self) -> bool:
        poi = self.get("01")
        return poi is None or poi.value == "11"

    def account_templates(self) -> list[DataObject]:
        """Merchant account information templates 26-51, in payload order."""
        return [o for o in self.objects if o.children is not None and "26" <= o.id <= "51"]

    def guids(self) -> list[str]:
        return [g.value for t in self.account_templates() if (g := t.child("00"))]


class _CheckedCode(MerchantCode):
    """A code returned by :func:`validate`: its :class:`DataObject` tree is built from the
    validator's light (id, value, children) tuples when first used, so that a caller that only
    wants the findings does not pay for it."""

    def __init__(self, payload: str, light: list[tuple]) -> None:
        self.payload = payload
        self._light = light

    @cached_property
    def objects(self) -> list[DataObject]:  # type: ignore[override]
        return _materialised(self._light)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MerchantCode):
            return NotImplemented
        return (self.payload, self.objects) == (other.payload, other.objects)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"MerchantCode(payload={self.payload!r}, objects={self.objects!r})"


def _materialised(light: list[tuple]) -> list[DataObject]:
    return [DataObject(obj_id, value, None if children is None else _materialised(children))
            for obj_id, value, children in light]


def parse(payload: str) -> MerchantCode:
    """Parse a payload; raises :class:`PayloadError` unless it is structurally an EMV MPM code
    with ``00`` first, ``63`` last and a four-character CRC value."""
    objects = parse_objects(payload)
    if not objects or objects[0].id != "00":
        raise PayloadError("payload format indicator 00 must be the first object", "00")
    if objects[-1].id != CRC_ID or len(objects[-1].value) != 4:
        raise PayloadError("CRC 63 with a 4-character value must be the last object", CRC_ID)
    return MerchantCode(payload, objects)


def with_wrong_crc(payload: str) -> str:
    """The same payload with a CRC value that does not match: a code damaged or forged."""
    wrong = int(crc_of(payload[:-4]), 16) ^ 0x0001
    return f"{payload[:-4]}{wrong:04X}"


def rehomed(payload: str, guid: str, to: str) -> str:
    """``payload`` with the merchant account GUID ``guid`` replaced everywhere by ``to``, as
    long, and its CRC value as right, as lower-case or as wrong as it was: a code vector moved
    onto another participant's account breaks the rules it broke, and no other."""
    if len(to) != len(guid):
        raise ValueError(f"GUID {to!r} is not as long as {guid!r}: lengths would change")
    moved = payload.replace(guid, to)
    at = payload.rfind(CRC_ID + "04") + 4       # the CRC value, wherever it was put
    if at < 4 or moved == payload or len(payload) < at + 4:
        return moved
    crc, right, now = payload[at:at + 4], crc_of(payload[:at]), crc_of(moved[:at])
    if crc.upper() == right:
        now = now if crc == right else now.lower()
    elif crc.upper() == now:        # wrong before, and would be right by chance
        now = with_wrong_crc(moved[:at] + now)[-4:]
    else:
        now = crc
    return moved[:at] + now + moved[at + 4:]


# -- validation: value checks ---------------------------------------------------------------------

def _s_ok(value: str) -> bool:
    """S: printable and precomposed. ``isprintable`` refuses separators such as U+3000
    (ideographic space), which S allows, so a refusal is looked at character by character."""
    if not value.isprintable():
        for char in value:
            if not char.isprintable() and unicodedata.category(char) != "Zs":
                return False
    return value.isascii() or unicodedata.is_normalized("NFC", value)


def _format_ok(fmt: int, value: str) -> bool:
    if fmt == _ANS:
        return value.isascii() and value.isprintable()
    if fmt == _N:
        return value.isascii() and value.isdigit()
    if fmt == _AN:
        return value.isascii() and value.isalnum()
    return _s_ok(value)


def _first_bad(fmt: int, value: str) -> str:
    for index, char in enumerate(value):
        if not _format_ok(fmt, char):
            return f"; {char!r} (U+{ord(char):04X}) at character {index + 1}"
    return "; the text is not in precomposed form (NFC)" if fmt == _S else ""


def _amount_problem(value: str, exponent: int | None, currency: str | None) -> str | None:
    """The amount grammar of MPM v1.0 §4.7.4.1; None when ``value`` follows it."""
    whole, _, decimals = value.partition(".")
    if not (value.isascii() and (whole.isdigit() or not whole)
            and (decimals.isdigit() or not decimals)):
        if "," in value:
            return f"{value!r} contains ','; only digits and one '.' as decimal mark are allowed"
        if " " in value:
            return f"{value!r} contains a space; only digits and one '.' are allowed"
        if value.count(".") > 1:
            return f"{value!r} has more than one '.'"
        return f"{value!r} must be digits with at most one '.' as decimal mark"
    if not whole:
        return f"{value!r} has no digit before the decimal mark"
    if not whole.strip("0") and not decimals.strip("0"):
        return f"{value!r} is zero; the amount must not be zero"
    if exponent is not None and len(decimals) > exponent:
        return (f"{value!r} has {len(decimals)} decimals; currency {currency} allows at most "
                f"{exponent}")
    return None


def _percentage_problem(value: str) -> str | None:
    if "%" in value:
        return f"{value!r} contains '%'; write the percentage as a number from 00.01 to 99.99"
    whole, _, decimals = value.partition(".")
    if not (value.isascii() and whole.isdigit() and (decimals.isdigit() or not decimals)):
        return f"{value!r} must be a number from 00.01 to 99.99"
    if len(decimals) > 2 or int(whole) > 99 or not (whole.strip("0") or decimals.strip("0")):
        return f"{value!r} is outside 00.01-99.99 (at most two decimals)"
    return None


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        total += _LUHN_DOUBLE[digit] if index & 1 else digit
    return total % 10 == 0


def _masked(digits: str) -> str:
    return f"{digits[:6]}{'*' * (len(digits) - 10)}{digits[-4:]}"


def _length_message(rule: _Rule, size: int) -> str:
    if rule.min == rule.max:
        return f"{rule.name} must be {rule.max} characters long, not {size}"
    if size > rule.max:
        return f"{rule.name} is {size} characters long; at most {rule.max} allowed"
    return f"{rule.name} is {size} characters long; at least {rule.min} required"


class _Context:
    """State of one validate() call."""

    __slots__ = ("findings", "leaves", "plain", "policy", "present")

    def __init__(self, policy: Policy, plain: bool) -> None:
        self.findings: list[Finding] = []
        #: (path, id, value) of primitive values long enough to hold a card number
        self.leaves: list[tuple[str, str, str]] = []
        self.policy = policy
        self.plain = plain                          # the payload is printable ASCII
        self.present: dict[str, str] = {}           # root id -> value (first occurrence)


def _check_closer(rule: _Rule, value: str, path: str, container: _Container,
                  ctx: _Context) -> None:
    """Every check of one primitive value, for a value the one-pass test did not accept."""
    findings = ctx.findings
    if not rule.defined:
        findings.append(Finding(container.fmt_req, ERROR, path,
                                f"ID {rule.id} is not defined in {container.name}"))
        return
    size = len(value)
    length_ok = rule.min <= size <= rule.max
    if not length_ok:
        findings.append(Finding(rule.req, ERROR, path, _length_message(rule, size)))
    if not _format_ok(rule.fmt, value):
        findings.append(Finding(rule.req, ERROR, path,
                                f"{rule.name} must be {_FORMAT_TEXT[rule.fmt]}"
                                f"{_first_bad(rule.fmt, value)}"))
        return      # the value checks below assume the format
    if not length_ok and rule.min == rule.max:
        return      # a code of the wrong length (currency, country) is not judged further
    if rule.values is not None and value not in rule.values:
        allowed = ", ".join(f'"{v}"' for v in sorted(rule.values))
        findings.append(Finding(rule.values_req, ERROR, path,
                                f'{rule.name} is "{value}"; allowed: {allowed}'))
    if rule.check is not None:
        _named_check(rule, value, path, ctx)
    if rule.letters is not None:
        wrong = set(value) - set(rule.letters)
        if wrong or (rule.unique_letters and len(set(value)) != len(value)):
            findings.append(Finding(rule.req, ERROR, path,
                                    f'{rule.name} "{value}" must combine '
                                    f"{', '.join(rule.letters)}, each at most once"))
    if rule.parts:
        _check_parts(rule, value, path, findings)


def _named_check(rule: _Rule, value: str, path: str, ctx: _Context) -> None:
    check = rule.check
    problem = None
    severity = ERROR
    if check == "amount":
        currency = ctx.present.get("53")
        known = CURRENCIES.get(currency) if currency else None
        problem = _amount_problem(value, known[1] if known else None,
                                  f"{currency} ({known[0]})" if known else currency)
    elif check == "currency":
        if value not in CURRENCIES:
            severity = ctx.policy.lenient_severity
            problem = (f"{value} is not an ISO 4217 numeric currency code in the profile's "
                       "table, so amount decimals cannot be checked")
    elif check == "country-code":
        if not (value.isascii() and value.isalpha() and value.isupper()):
            problem = f"{rule.name} {value!r} must be ISO 3166-1 alpha-2: two upper-case letters"
    elif check == "language-code":
        if not (value.isascii() and value.isalpha()):
            problem = f"{rule.name} {value!r} must be ISO 639 alpha-2: two letters"
    elif check == "fee-percentage":
        problem = _percentage_problem(value)
    if problem is not None and check is not None:
        ctx.findings.append(Finding(_CHECK_REQ[check], severity, path, problem))


def _check_parts(rule: _Rule, value: str, path: str, findings: list[Finding]) -> None:
    layout = " + ".join(f"{name} ({length})" for name, length, _ in rule.parts)
    total = sum(length for _, length, _ in rule.parts)
    if len(value) != total:
        findings.append(Finding(rule.parts_req, ERROR, path,
                                f"{rule.name} must be {total} characters: {layout}; "
                                f"found {len(value)}"))
        return
    start = 0
    for name, length, fmt in rule.parts:
        part = value[start:start + length]
        if not _format_ok(fmt, part):
            findings.append(Finding(rule.parts_req, ERROR, path,
                                    f"{rule.name}: {name} {part!r} (characters {start + 1}-"
                                    f"{start + length}) must be {_FORMAT_TEXT[fmt]}"))
        start += length


# -- validation: levels ---------------------------------------------------------------------------

_BYTES_MESSAGE = ("lengths appear to count bytes: the objects only read correctly when lengths "
                  "are taken as UTF-8 byte counts, but EMV lengths count characters (a Chinese "
                  "character is 1, not 3)")


def _rebuilt(text: str) -> str | None:
    """``text`` re-encoded with character-count lengths, when it only splits with lengths
    read as UTF-8 byte counts; None when it does not split that way either."""
    pairs = _split_bytes(text)
    if pairs is None:
        return None
    return "".join(f"{obj_id}{len(value):02d}{value}" for obj_id, value in pairs)


def _check_text(text: str, container: _Container, path: str, byte_mode: bool,
                ctx: _Context) -> tuple[list[tuple], tuple[int, str, str | None] | None]:
    """Split one level (the root or a template's value) and check its objects in one pass.

    Returns the level's objects as light (id, value, children) tuples and, when the text does
    not split, the problem (offset, message, ID); the level's presence rules are then not
    judged, since the damage hides what follows it.
    """
    leaves = ctx.leaves
    plain = ctx.plain
    heads_get = (container.plain if plain else container.mixed).get
    seen: dict[str, str] = {}
    light: list[tuple] = []
    add = light.append
    closer = None
    problem = None
    pos, end = 0, len(text)
    while pos < end:
        head = text[pos:pos + 4]
        entry = heads_get(head)
        if entry is None:
            entry = container.head(head, plain)
            if entry is None:
                problem = _header_problem(head, pos)
                break
        obj_id, length, kind, accepted, rule = entry
        stop = pos + 4 + length
        if stop > end:
            problem = _truncated(length, end - pos - 4, pos, obj_id)
            break
        value = text[pos + 4:stop]
        pos = stop
        seen[obj_id] = value
        if kind:
            if kind == _K_TEMPLATE:
                add((obj_id, value, _check_template(value, rule, _join(path, obj_id),
                                                    byte_mode, ctx)))
                continue
            if kind == _K_SET:
                ok = value in accepted
            elif kind == _K_DIGITS:
                ok = value.isdigit() and value.isascii()
            elif kind == _K_PRINTABLE:
                ok = value.isascii() and value.isprintable()
            else:
                ok = False
            if not ok:
                if closer is None:
                    closer = []
                closer.append((rule, value))
        add((obj_id, value, None))
        if length >= _PAN_MIN:
            leaves.append((path, obj_id, value))
    if len(seen) != len(light):
        seen = _duplicates(light, container, path, ctx)
    if not path:
        ctx.present = seen
    if closer:
        for rule, value in closer:
            _check_closer(rule, value, _join(path, rule.id), container, ctx)
    if problem is None and (container.presence_rules
                            or not seen.keys() >= container.mandatory_ids):
        _check_presence(seen, container, path, ctx)
    if len(light) < container.min_objects:
        ctx.findings.append(Finding(container.req, ERROR, path,
                                    f"{container.name} must hold at least "
                                    f"{container.min_objects} well-formed data object"))
    return light, problem


def _duplicates(light: list[tuple], container: _Container, path: str,
                ctx: _Context) -> dict[str, str]:
    """Report IDs that occur more than once; the first occurrence of each is the one used."""
    seen: dict[str, str] = {}
    for obj_id, value, _ in light:
        if obj_id in seen:
            ctx.findings.append(Finding(_DUP_REQ, ERROR, _join(path, obj_id),
                                        f"ID {obj_id} occurs more than once in "
                                        f"{container.name if path else 'the payload'}"))
        else:
            seen[obj_id] = value
    return seen


def _check_presence(seen: dict[str, str], container: _Container, path: str,
                    ctx: _Context) -> None:
    findings = ctx.findings
    if not seen.keys() >= container.mandatory_ids:
        for rule in container.mandatory:
            if rule.id not in seen:
                findings.append(Finding(container.req, ERROR, _join(path, rule.id),
                                        f"mandatory ID {rule.id} ({rule.name}) is missing"
                                        + (f" from {container.name}" if path else "")))
    one = container.at_least_one
    if one is not None and one[0].isdisjoint(seen):
        findings.append(Finding(one[3], ERROR, path,
                                f"at least one {one[2]} object (IDs {one[1]}) is required"))
    for (if_id, if_value, then_id, then_value, not_zero, where, req, severity,
         message) in container.conditions:
        value = seen.get(if_id)
        if value is None or (if_value is not None and value != if_value):
            continue
        value = seen.get(then_id)
        if value is None:
            found = "it is absent"
        elif then_value is not None and value != then_value:
            found = f'it is "{value}"'
        elif not_zero and _is_zero(value):
            found, where = f'it is "{value}"', then_id
        else:
            continue
        findings.append(Finding(req, _severity(severity, ctx.policy), _join(path, where),
                                f"{message}, but {found}"))


def _severity(severity: str, policy: Policy) -> str:
    """A severity from the rules file: error, warning, or policy (the policy decides)."""
    return policy.lenient_severity if severity == "policy" else severity


def _is_zero(amount: str) -> bool:
    """An amount made of zeros and at most a decimal mark ("0", "0.00", "00.")."""
    return bool(amount) and not amount.replace("0", "").replace(".", "", 1)


def _check_template(value: str, rule: _Rule, path: str, byte_mode: bool,
                    ctx: _Context) -> list[tuple]:
    container = rule.container
    assert container is not None
    if byte_mode and not value.isascii():
        # Inside a level whose lengths count bytes, this template's lengths do too.
        text = _rebuilt(value)
        if text is not None:
            return _check_text(text, container, path, True, ctx)[0]
    findings, leaves = ctx.findings, ctx.leaves
    marks = len(findings), len(leaves)
    light, problem = _check_text(value, container, path, byte_mode, ctx)
    if problem is None:
        return light
    text = None if value.isascii() else _rebuilt(value)
    if text is not None:
        del findings[marks[0]:], leaves[marks[1]:]
        findings.append(Finding(_BYTES_REQ, ERROR, path, _BYTES_MESSAGE))
        return _check_text(text, container, path, True, ctx)[0]
    _, message, obj_id = problem
    findings.append(Finding(_SYNTAX_REQ, ERROR, _join(path, obj_id) if obj_id else path,
                            f"{message} in {rule.name}"))
    return light


def validate(payload: str, policy: Policy = LENIENT) -> tuple[MerchantCode | None, list[Finding]]:
    """Check a merchant-presented payload against every rule of the profile.

    Returns the parsed code and all findings (empty when the code is clean). The code is None
    only when the payload cannot be split into data objects at all; one R-MPM-01 finding then
    says where.
    """
    if not payload:
        return None, [Finding(_SYNTAX_REQ, ERROR, "", "the payload is empty")]
    ctx = _Context(policy, payload.isascii() and payload.isprintable())
    light, problem = _check_text(payload, _ROOT, "", False, ctx)
    if problem is not None:
        light, payload, ctx = _recover(payload, problem, policy)
        if ctx is None:
            return None, light
    elif not ctx.plain and not _ends_with_crc(light) and not payload.isascii():
        # A value that swallowed the CRC: do the lengths count bytes?
        pairs = _split_bytes(payload)
        if pairs is not None and _ends_with_crc(pairs):
            light, payload, ctx = _recover(payload, (0, "", None), policy)
    findings = ctx.findings
    present = ctx.present
    if light[0][0] != _FIRST and _FIRST in present:
        where = 1 + next(i for i, obj in enumerate(light) if obj[0] == _FIRST)
        findings.append(Finding(_ORDER_REQ, ERROR, _FIRST,
                                f"ID {_FIRST} must be the first object; it is object {where}"))
    last_id, last_value, _ = light[-1]
    if last_id != _LAST:
        if _LAST in present:
            findings.append(Finding(_ORDER_REQ, ERROR, _LAST,
                                    f"ID {_LAST} (CRC) must be the last object; the CRC cannot "
                                    "be checked"))
    elif len(last_value) == 4:
        # surrogatepass: a lone surrogate (reported by the format checks) must not crash the CRC
        expected = f"{binascii.crc_hqx(payload[:-4].encode('utf-8', 'surrogatepass'), 0xFFFF):04X}"
        if last_value != expected:
            findings.append(_crc_finding(last_value, expected, policy))
    if len(payload) > _MAX_LEN:
        findings.append(Finding(_MAX_LEN_REQ, _severity(_MAX_LEN_SEV, policy), "",
                                f"payload is {len(payload)} characters; it should not exceed "
                                f"{_MAX_LEN}"))
    for path, obj_id, value in ctx.leaves:
        for run in _DIGIT_RUN.findall(value):
            if len(run) <= _PAN_MAX and run[0] != "0" and _luhn_ok(run):
                findings.append(Finding(_PAN_REQ, _severity(_PAN_SEV, policy), _join(path, obj_id),
                                        f"{_masked(run)}: a Luhn-valid {len(run)}-digit number "
                                        "looks like a cleartext card number"))
    return _CheckedCode(payload, light), findings


def _ends_with_crc(objects: list[tuple]) -> bool:
    return objects[-1][0] == _LAST and len(objects[-1][1]) == 4


def _crc_finding(found: str, expected: str, policy: Policy) -> Finding:
    if found.isascii() and found.upper() == expected:
        return Finding(_CRC_CASE_REQ, policy.lenient_severity, _LAST,
                       f"CRC {found} is written in lower case; EMVCo writes upper case "
                       f"({expected})")
    if not _HEX.issuperset(found):
        return Finding(_CRC_REQ, ERROR, _LAST,
                       f"CRC {found!r} is not four hexadecimal characters; expected {expected}")
    return Finding(_CRC_REQ, ERROR, _LAST, f"CRC mismatch: expected {expected}, found {found}")


def _recover(payload: str, problem: tuple, policy: Policy) -> tuple:
    """The root does not split. Returns (light, payload, context) to go on with: lengths that
    count UTF-8 bytes (R-MPM-02), or a complete code followed by trailing characters; else
    ([the R-MPM-01 finding], payload, None)."""
    pos, message, obj_id = problem
    text = None if payload.isascii() else _rebuilt(payload)
    if text is not None:
        ctx = _Context(policy, False)
        ctx.findings.append(Finding(_BYTES_REQ, ERROR, "", _BYTES_MESSAGE))
        return _check_text(text, _ROOT, "", True, ctx)[0], payload, ctx
    head = _split(payload[:pos])[0]
    if head and _ends_with_crc(head):
        ctx = _Context(policy, False)
        ctx.findings.append(Finding(_SYNTAX_REQ, ERROR, "",
                                    f"{len(payload) - pos} trailing characters "
                                    f"{payload[pos:pos + 12]!r} after the CRC object"))
        payload = payload[:pos]
        ctx.plain = payload.isascii() and payload.isprintable()
        return _check_text(payload, _ROOT, "", False, ctx)[0], payload, ctx
    return [Finding(_SYNTAX_REQ, ERROR, obj_id or "", message)], payload, None


# -- structured values ----------------------------------------------------------------------------

def _as_mapping(objects: list[DataObject], path: str) -> dict:
    value: dict = {}
    for obj in objects:
        if obj.id in value:
            raise PayloadError("duplicate ID: a mapping cannot hold it", _join(path, obj.id))
        value[obj.id] = (obj.value if obj.children is None
                         else _as_mapping(obj.children, _join(path, obj.id)))
    return value


def decode(payload: str) -> dict:
    """The payload as an ordered mapping ID -> value, templates as nested mappings (63 holds
    the CRC as found). Raises :class:`PayloadError` when the payload does not parse or repeats
    an ID at one level."""
    return _as_mapping(parse(payload).objects, "")


def _encode_object(obj_id: str, value: str | Mapping, parent: str) -> str:
    path = _join(parent, obj_id)
    if obj_id not in _IDS:
        raise PayloadError(f"ID {obj_id!r} is not two digits", parent)
    if isinstance(value, str):
        text = value
    elif isinstance(value, Mapping):
        text = "".join(_encode_object(k, v, path) for k, v in value.items())
    else:
        raise PayloadError(f"value must be a string or a mapping, not {type(value).__name__}",
                           path)
    if not 0 < len(text) <= 99:
        raise PayloadError(f"value length {len(text)} outside 1-99", path)
    return f"{obj_id}{len(text):02d}{text}"


def encode(value: Mapping[str, str | Mapping]) -> str:
    """The payload of a structured value: objects in the mapping's order, except that 00 goes
    first and 63 is recomputed and written last (in upper case)."""
    parts = []
    if _FIRST in value:
        parts.append(_encode_object(_FIRST, value[_FIRST], ""))
    parts.extend(_encode_object(k, v, "") for k, v in value.items() if k not in (_FIRST, _LAST))
    body = "".join(parts) + _LAST + "04"
    return body + crc_of(body)


# -- description ----------------------------------------------------------------------------------

def _described(objects: list[DataObject], container: _Container | None) -> list[dict]:
    out = []
    for obj in objects:
        rule = container.rules.get(obj.id) if container else None
        out.append({
            "id": obj.id,
            "name": rule.name if rule is not None and rule.defined else None,
            "value": obj.value,
            "children": ([] if obj.children is None else
                         _described(obj.children, rule.container if rule else None)),
        })
    return out


def _first_values(objects: list[DataObject]) -> dict:
    """Sub-ID -> value (a nested mapping for templates); a repeated ID keeps its first value."""
    out: dict = {}
    for obj in objects:
        out.setdefault(obj.id, obj.value if obj.children is None
                       else _first_values(obj.children))
    return out


def describe(code: MerchantCode) -> dict:
    """The fields a linter shows for a merchant code, with object names from the rules file."""
    def value(obj_id: str) -> str | None:
        obj = code.get(obj_id)
        return obj.value if obj else None

    accounts = []
    for obj in code.objects:
        if "02" <= obj.id <= "51":
            if obj.children is None:
                accounts.append({"id": obj.id, "guid": None, "value": obj.value})
            else:
                guid = obj.child("00")
                accounts.append({"id": obj.id, "guid": guid.value if guid else None})
    poi = value("01")
    fields: dict = {
        "merchantName": value("59"),
        "merchantCity": value("60"),
        "countryCode": value("58"),
        "mcc": value("52"),
        "currency": value("53"),
    }
    if (amount := value("54")) is not None:
        fields["amount"] = amount
    fields["pointOfInitiation"] = {"11": "static", "12": "dynamic"}.get(poi) if poi else None
    fields["merchantAccounts"] = accounts
    language = code.get("64")
    if language is not None and language.children is not None:
        names = {"00": "language", "01": "merchantName", "02": "merchantCity"}
        fields["alternateLanguage"] = {
            key: (c.value if (c := language.child(sub_id)) else None)
            for sub_id, key in names.items()}
    additional = code.get("62")
    fields["additionalData"] = (_first_values(additional.children)
                                if additional is not None and additional.children else {})
    fields["objects"] = _described(code.objects, _ROOT)
    return fields
