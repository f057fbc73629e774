"""The per-ID rules of one profile (format, length, presence, allowed values, templates,
currency exponents), compiled into the lookup tables the parser and validator use.

The rules are data: ``codes/emv-mpm.json`` in a profile folder (the manifest's ``emv_mpm``
file). They are compiled per profile folder, once (:meth:`Rules.of`), never at import: every
function that needs them takes the :class:`Rules` of the profile in use, so a profile version
with other rules is checked by its own.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from itertools import permutations
from pathlib import Path
from typing import Any

from qrinterop.codes.emv_mpm.syntax import IDS, LENGTHS
from qrinterop.profile import SCHEMA_DIR, ProfileError, file_schema_error

#: Where a profile's manifest names its rules file.
MANIFEST_KEY = "emv_mpm"

FMT_N, FMT_AN, FMT_ANS, FMT_S = 0, 1, 2, 3
FORMAT_CODES = {"N": FMT_N, "an": FMT_AN, "ans": FMT_ANS, "S": FMT_S}
FORMAT_TEXT = {
    FMT_N: "N (digits 0-9)",
    FMT_AN: "an (digits and letters A-Z, a-z)",
    FMT_ANS: "ans (EMV common character set: printable ASCII 0x20-0x7E)",
    FMT_S: "S (printable, precomposed Unicode)",
}

# How the one-pass check treats an object, decided once per (container, ID, length, payload
# kind) and cached: the length check is folded in, so most objects need no per-value work.
K_ACCEPT = 0      # nothing to check (ans or S text of a valid length in a printable payload)
K_DIGITS = 1      # accept when the value is ASCII digits (N)
K_SET = 2         # accept when the value is in a precomputed set of acceptable values
K_PRINTABLE = 3   # accept when the value is printable ASCII (ans or S in a non-ASCII payload)
K_TEMPLATE = 4    # a template: check its objects
K_CLOSER = 5      # always look closer (amounts, structured values, undefined IDs, bad lengths)

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LETTERS = _UPPER + _UPPER.lower()

#: A compiled condition: (if id, if value, then id, then value, not zero, path, requirement,
#: severity, message).
Condition = tuple[str, str | None, str, str | None, bool, str, str, str, str]


class Rule:
    """One data object's rule, compiled from the data file."""

    __slots__ = ("accepted", "check", "container", "defined", "fmt", "id", "letters", "max",
                 "min", "name", "parts", "parts_req", "presence", "req", "unique_letters",
                 "values", "values_req")

    def __init__(self, obj_id: str, spec: dict[str, Any], fmt_req: str,
                 defined: bool = True) -> None:
        self.id = obj_id
        self.defined = defined
        self.name: str = spec["name"]
        self.presence: str = spec["presence"]
        self.fmt = FORMAT_CODES[spec.get("format", "S")]
        self.min: int = spec.get("minLength", 1)
        self.max: int = spec.get("maxLength", 99)
        self.req: str = spec.get("requirement", fmt_req)
        values = spec.get("values")
        self.values = frozenset(values) if values else None
        self.values_req: str = spec.get("valuesRequirement", self.req)
        self.check: str | None = spec.get("check")
        letters = spec.get("letters")
        self.letters: str | None = letters["allowed"] if letters else None
        self.unique_letters = bool(letters and letters["unique"])
        self.parts = tuple((p["name"], p["length"], FORMAT_CODES[p["format"]], p.get("values"))
                           for p in spec.get("parts", ()))
        self.parts_req: str = spec.get("partsRequirement", self.req)
        self.container: Container | None = None     # set for templates
        self.accepted: frozenset[str] | None = None  # set by Container.link

    def acceptable(self, currencies: dict[str, tuple[str, int]]) -> frozenset[str] | None:
        """Every value that passes all of this rule's checks, when that set is small enough
        to precompute; None otherwise."""
        if self.parts or not self.defined:
            return None
        if self.values is not None:
            return self.values
        if self.check == "currency":
            return frozenset(currencies)
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
            return K_TEMPLATE
        if not self.min <= length <= self.max or (self.accepted is None and (
                self.check or self.letters or self.parts or not self.defined)):
            return K_CLOSER
        if self.accepted is not None:
            return K_SET
        if self.fmt == FMT_N:
            return K_DIGITS
        if self.fmt == FMT_AN:
            return K_CLOSER
        return K_ACCEPT if plain else K_PRINTABLE


#: A header's cached entry: (id, length, kind, accepted values, rule).
HeadEntry = tuple[str, int, int, frozenset[str] | None, Rule]


class Container:
    """The root or one kind of template: the rules of the objects it holds, keyed by every ID
    from 00 to 99 (IDs the data file does not define get a rule that reports them)."""

    __slots__ = ("at_least_one", "conditions", "fmt_req", "key", "mandatory", "mandatory_ids",
                 "min_objects", "mixed", "name", "plain", "presence_rules", "req", "rules")

    def __init__(self, key: str, spec: dict[str, Any]) -> None:
        self.key = key
        self.name: str = spec["name"]
        self.req: str = spec["requirement"]
        self.fmt_req: str = spec["formatRequirement"]
        self.min_objects: int = spec.get("minObjects", 0)
        self.rules: dict[str, Rule] = {}
        for ids, rule_spec in _ranges_first(spec["objects"]):
            for obj_id in _expand(ids):
                self.rules[obj_id] = Rule(obj_id, rule_spec, self.fmt_req)
        for obj_id in sorted(IDS - self.rules.keys()):
            self.rules[obj_id] = Rule(obj_id, {"name": f"ID {obj_id}", "presence": "O"},
                                      self.fmt_req, defined=False)
        self.mandatory = tuple(r for r in self.rules.values() if r.presence == "M")
        self.mandatory_ids = frozenset(r.id for r in self.mandatory)
        one = spec.get("atLeastOneOf")
        self.at_least_one: tuple[frozenset[str], str, str, str] | None = (
            (frozenset(_expand(one["ids"])), one["ids"], one["name"], one["requirement"])
            if one else None)
        self.conditions = tuple(_compile_condition(c, self) for c in spec.get("conditions", ()))
        #: rules judged after the level: at least one of a range, or conditions
        self.presence_rules = bool(self.at_least_one or self.conditions)
        #: 4-character ID+length header -> its entry, filled on first sight of each header,
        #: for printable-ASCII payloads and for the others
        self.plain: dict[str, HeadEntry] = {}
        self.mixed: dict[str, HeadEntry] = {}

    def head(self, head: str, plain: bool) -> HeadEntry | None:
        """The cached entry of a 4-character header; None when it is not two 2-digit fields
        with a length from 01 to 99."""
        length = LENGTHS.get(head[2:])
        rule = self.rules.get(head[:2])
        if length is None or rule is None or len(head) != 4:
            return None
        entry = (rule.id, length, rule.kind(length, plain), rule.accepted, rule)
        (self.plain if plain else self.mixed)[head] = entry
        return entry

    def link(self, spec: dict[str, Any], templates: dict[str, Container],
             currencies: dict[str, tuple[str, int]]) -> None:
        """Point template rules at their containers, then build the one-pass tables."""
        for ids, rule_spec in _ranges_first(spec["objects"]):
            if "template" in rule_spec:
                for obj_id in _expand(ids):
                    self.rules[obj_id].container = templates[rule_spec["template"]]
        for rule in self.rules.values():
            rule.accepted = rule.acceptable(currencies)


def _expand(ids: str) -> list[str]:
    low, _, high = ids.partition("-")
    return [f"{i:02d}" for i in range(int(low), int(high or low) + 1)]


def _ranges_first(objects: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Ranges before single IDs, so that a single ID overrides the range it falls in."""
    items = [(k, v) for k, v in objects.items() if not k.startswith("$")]
    return sorted(items, key=lambda kv: "-" not in kv[0])


def _compile_condition(spec: dict[str, Any], container: Container) -> Condition:
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


@dataclass(frozen=True, slots=True)
class PayloadRules:
    """The rules of the payload as a whole: order, duplicates, CRC, length, card numbers."""

    syntax_req: str
    bytes_req: str          # lengths that count UTF-8 bytes
    first: str              # the ID that must come first (00)...
    last: str               # ...and last (63, the CRC)
    order_req: str
    duplicate_req: str
    crc_req: str
    crc_case_req: str
    max_length: int
    max_length_req: str
    max_length_severity: str
    pan_min: int            # a Luhn-valid digit run this long looks like a card number
    pan_max: int
    pan_req: str
    pan_severity: str
    digit_run: re.Pattern[str]

    @classmethod
    def of(cls, spec: dict[str, Any]) -> PayloadRules:
        longest, pan = spec["maxLength"], spec["cardNumber"]
        return cls(spec["syntaxRequirement"], spec["lengthCountRequirement"], spec["first"],
                   spec["last"], spec["orderRequirement"], spec["duplicateRequirement"],
                   spec["crc"]["requirement"], spec["crc"]["caseRequirement"],
                   longest["value"], longest["requirement"], longest["severity"],
                   pan["minDigits"], pan["maxDigits"], pan["requirement"], pan["severity"],
                   re.compile(f"[0-9]{{{pan['minDigits']},}}"))


@dataclass(frozen=True, eq=False)
class Rules:
    """One profile's EMV MPM rules, compiled (hashable by identity, one per profile folder)."""

    source: Path                                #: the rules file they were compiled from
    document: dict[str, Any]                    #: that file as JSON
    root: Container
    templates: dict[str, Container]
    #: ISO 4217 numeric code -> (alphabetic code, exponent)
    currencies: dict[str, tuple[str, int]]
    check_requirements: dict[str, str]          #: named check -> the requirement it enforces
    payload: PayloadRules
    #: more amount decimals than the currency's exponent: "error" (1.0), or "policy" where
    #: the profile follows MPM §4.7.4.1's "should" (a warning, an error in strict mode)
    decimals_severity: str = "error"

    @staticmethod
    def of(profile_folder: Path) -> Rules:
        """The rules of the profile in ``profile_folder``, compiled on first use and kept."""
        return _compiled(profile_folder.resolve())

    @classmethod
    def compiled(cls, document: dict[str, Any], source: Path) -> Rules:
        """Compile a rules document (already checked against its schema)."""
        currencies = {k: (v["code"], v["exponent"])
                      for k, v in document["currencies"].items() if not k.startswith("$")}
        specs = {k: v for k, v in document["templates"].items() if not k.startswith("$")}
        templates = {k: Container(k, v) for k, v in specs.items()}
        root = Container("root", document["root"])
        root.link(document["root"], templates, currencies)
        for key, template in templates.items():
            template.link(specs[key], templates, currencies)
        checks = {k: v["requirement"] for k, v in document["checks"].items()
                  if not k.startswith("$")}
        return cls(source, document, root, templates, currencies, checks,
                   PayloadRules.of(document["payload"]),
                   document["checks"]["amount"].get("decimalsSeverity", "error"))

    def container_of(self, path: str) -> Container | None:
        """The rules of the objects inside the object at ``path`` ("" is the root)."""
        container: Container | None = self.root
        for part in path.split(".") if path else ():
            rule = container.rules.get(part) if container else None
            container = rule.container if rule else None
        return container


def rules_path(profile_folder: Path) -> Path:
    """The rules file a profile's manifest names."""
    manifest = _read_json(profile_folder / "profile.json")
    return profile_folder / manifest["files"][MANIFEST_KEY]


def load_rules(profile_folder: Path) -> dict[str, Any]:
    """A profile's rules file as JSON, checked against its schema (:class:`ProfileError`
    naming the file otherwise)."""
    path = rules_path(profile_folder)
    document = _read_json(path)
    schema = (SCHEMA_DIR / "emv-mpm.schema.json").read_text(encoding="utf-8")
    if problem := file_schema_error(schema, path.read_text(encoding="utf-8")):
        raise ProfileError(f"{path}: at {problem}")
    return document


@cache
def _compiled(profile_folder: Path) -> Rules:
    return Rules.compiled(load_rules(profile_folder), rules_path(profile_folder))


def _read_json(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as exc:
        raise ProfileError(f"{path}: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: not valid JSON: {exc}") from None
