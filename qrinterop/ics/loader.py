"""The ICS: what the institution claims to implement and how to reach it.

Written in YAML because people write it by hand and comment it; ``ics.schema.json`` is the one
definition of a valid ICS. A person fixes the file in an editor, so every problem carries its
line and column: the file is composed into YAML nodes, which keep their positions, the data is
built from those same nodes (what ``yaml.safe_load`` does, in two steps), and a JSON-Schema
error path is walked back down the nodes to the key or value it is about.

Beyond the schema, the checks here read what the file points at: every key file must hold a PEM
public key of its declared algorithm, key and account IDs must be unique, and the signature
features declared (``sm2``, ``rsa``) must match the keys listed.

``check_ics`` finds every problem at once (``qrinterop ics check``); ``load_ics`` stops a run
on them with one line, before anything starts.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import string
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from jsonschema import Draft202012Validator, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from qrinterop.errors import UsageError
from qrinterop.ics.model import Ics, Sut
from qrinterop.inputs import MAX_HANDWRITTEN_BYTES, MAX_KEY_FILE_BYTES, read_input
from qrinterop.profile import Profile, ProfileError, load_profile, profile_folder
from qrinterop.protocol.bindings import known_bindings
from qrinterop.protocol.bindings.base import binding_entry
from qrinterop.protocol.crypto import RSA_ALGORITHM, SM2_ALGORITHM, KeyFormatError, VerifyKey

SCHEMA_FILE = Path(__file__).with_name("ics.schema.json")
PLACEHOLDER = re.compile(r"<[^<>\n]+>")
MAX_VALUES = 100_000      # far above any real ICS; far below what a few aliases can expand to
MERGE_TAG = "tag:yaml.org,2002:merge"
FLOAT_TAG = "tag:yaml.org,2002:float"
KeyPath = tuple[str | int, ...]
#: The profile's feature for each signature algorithm: declaring it means listing such a key.
SIGNATURE_FEATURES = {SM2_ALGORITHM: "sm2", RSA_ALGORITHM: "rsa"}
if TYPE_CHECKING:
    _SafeLoader = yaml.SafeLoader
else:       # libyaml's loader where PyYAML was built with it: the same, faster
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):
    """The safe loader (libyaml's when built), giving every construction error a position:
    ``!!int abc`` fails inside Python's ``int()``, which knows nothing of the file."""

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError) as exc:
            raise yaml.constructor.ConstructorError(None, None, str(exc),
                                                    node.start_mark) from None


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an ICS file, where a person looks for it."""

    line: int | None          # 1-based; None when the problem is the file as a whole
    column: int | None
    path: KeyPath
    message: str

    @property
    def where(self) -> str:
        return ".".join(map(str, self.path))

    def render(self, file: Path | str) -> str:
        at = f", line {self.line}" + (f", column {self.column}" if self.column else "")
        where = f"{self.where}: " if self.path else ""
        text = f"ICS file {file}{at if self.line else ''}: {where}{self.message}"
        return text.replace("\n", " ")

    def as_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "path": self.where,
                "message": self.message}


@dataclass
class Checked:
    """An ICS file read and checked: its data (when it could be built) and every problem."""

    file: Path
    document: dict | None
    problems: list[Problem] = field(default_factory=list)
    parsed: _Parsed | None = field(default=None, repr=False)    # to locate later problems

    @property
    def valid(self) -> bool:
        return not self.problems

    def error_line(self) -> str:
        """The first problem, and how many more: a run stops on one line."""
        more = len(self.problems) - 1
        return self.problems[0].render(self.file) + (
            f" (+{more} more: qrinterop ics check {self.file} lists them)" if more else "")


class _Fatal(Exception):
    """The file cannot be read as a YAML mapping: nothing further can be checked."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


# -- public entry points ------------------------------------------------------------------------
def named_profile(path: Path) -> str | None:
    """The profile an ICS file names, read before the file is checked (its features are
    checked against that profile); None when it names none that can be read, in which case
    checking the file says why."""
    try:
        document = yaml.safe_load(_read_bytes(path))
    except (UsageError, yaml.YAMLError):
        return None
    name = document.get("profile") if isinstance(document, dict) else None
    return name if isinstance(name, str) and re.fullmatch(r"[a-z0-9-]+/\d+\.\d+", name) else None


def profile_for(path: Path) -> Profile:
    """The profile an ICS file certifies against (the default if it names none that can be
    read); a profile that is not there is a :class:`UsageError` naming the ICS file."""
    try:
        return load_profile(profile_folder(named_profile(path)))
    except ProfileError as exc:
        raise UsageError(f"ICS file {path}: profile: {exc}") from None


def load_ics(path: Path, known_defects: set[str], known_features: set[str]) -> Ics:
    """Read and check an ICS file for a run; any problem is a :class:`UsageError` naming file
    and line. Key file paths and the command's workdir in the model returned are absolute:
    relative ones start at the ICS file's folder, which no later reader knows."""
    checked = check_ics(path, known_defects, known_features)
    if checked.problems:
        raise UsageError(checked.error_line())
    assert checked.document is not None
    return Ics.from_document(checked.document, path.parent.resolve())


def check_ics(path: Path, known_defects: set[str], known_features: set[str]) -> Checked:
    """Every problem of an ICS file, each with its line. Only a file that cannot be read at
    all (missing, a folder, no permission) is a :class:`UsageError`: that is not the ICS's
    fault but the command line's."""
    raw = _read_bytes(path)
    try:
        root = _mapping_root(_compose(_decode(raw)))
        survey = _Survey()
        if survey.visit(root, ()) > MAX_VALUES:
            raise _Fatal(_at(root, (), f"the file expands to more than {MAX_VALUES} values "
                                       "through its aliases (&/*)"))
        document = _construct(root)
    except _Fatal as fatal:
        return Checked(path, None, [fatal.problem])
    parsed = _Parsed(document, root, survey.placeholders)
    problems = [*survey.problems,
                *_schema_problems(document, root, survey.placeholders),
                *_unknown_names(parsed, known_defects, known_features),
                *_key_problems(parsed, path.parent, known_features,
                               _signature_keys(document.get("profile"))),
                *_duplicate_ids(parsed, "keys"), *_duplicate_ids(parsed, "accounts"),
                *_workdir_problem(parsed, path.parent),
                *_binding_problem(parsed, document.get("profile")),
                *_capacity_problem(parsed, document.get("profile"))]
    problems.sort(key=lambda p: (p.line or 0, p.column or 0, p.where, p.message))
    return Checked(path, document, problems, parsed)


def _read_public_key(path: Path) -> VerifyKey:
    """The public key in a file an ICS names; :class:`KeyFormatError` says in one line why
    the file is no usable key (missing, a folder, unreadable, not a PEM public key)."""
    problem = _path_problem(path, folder=False)
    if problem:
        raise KeyFormatError(problem)
    try:
        size = path.stat().st_size
        if size > MAX_KEY_FILE_BYTES:
            raise KeyFormatError(f"{path} is {size} bytes: too large for a PEM public key")
        pem = path.read_bytes()
    except OSError as exc:
        raise KeyFormatError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return VerifyKey.from_pem(pem)
    except KeyFormatError as exc:
        raise KeyFormatError(f"{path} is not a usable PEM public key: {exc}") from None


def read_yaml(path: Path) -> Any:
    """The data of a YAML file, unchecked: for files the suite ships (the reference ICS read by
    ``qrinterop lint``), where schema validation would be a cost on every run for nothing."""
    try:
        root = _compose(_decode(_read_bytes(path)))
        return None if root is None else _construct(root)
    except _Fatal as fatal:
        raise UsageError(fatal.problem.render(path)) from None


@cache
def schema() -> dict:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema())


# -- reading: bytes, text, nodes, data ------------------------------------------------------------
def _read_bytes(path: Path) -> bytes:
    return read_input(path, "ICS file", MAX_HANDWRITTEN_BYTES)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        raise _Fatal(Problem(raw.count(b"\n", 0, exc.start) + 1, exc.start - line_start + 1, (),
                             f"not UTF-8 text (byte 0x{raw[exc.start]:02x})")) from None


def _compose(text: str) -> Node | None:
    try:
        return yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise _Fatal(_yaml_problem(exc, text)) from None
    except RecursionError:     # the pure-Python parser, on thousands of nested brackets
        raise _Fatal(Problem(None, None, (), "not valid YAML: nested too deeply")) from None


def _construct(root: Node) -> Any:
    """Build the data from the nodes. SafeConstructor flattens merge keys (``<<: *x``) into
    the nodes as it goes, so error paths can be looked up in them afterwards."""
    try:
        return _Loader("").construct_document(root)
    except yaml.YAMLError as exc:
        raise _Fatal(_yaml_problem(exc, "")) from None


def _yaml_problem(exc: yaml.YAMLError, text: str) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if isinstance(exc, yaml.MarkedYAMLError):
        message = f"not valid YAML: {_yaml_reason(exc)}"
    else:                       # ReaderError: a character YAML does not allow at all
        message = f"not valid YAML: {getattr(exc, 'reason', exc)}"
    if mark is not None:
        lines = text.splitlines()
        if mark.line < len(lines) and lines[mark.line][mark.column:mark.column + 1] == "\t":
            message += " (a tab: YAML indents with spaces only)"
        return Problem(mark.line + 1, mark.column + 1, (), message)
    position = getattr(exc, "position", None)
    if isinstance(position, int) and text:
        line_start = text.rfind("\n", 0, position) + 1
        return Problem(text.count("\n", 0, position) + 1, position - line_start + 1, (), message)
    return Problem(None, None, (), message)


def _yaml_reason(exc: yaml.MarkedYAMLError) -> str:
    """PyYAML's two-part message ("while parsing a flow sequence", "did not find expected
    ']'") on one line, with the line the context started on when it is another one."""
    context, problem = exc.context, exc.problem
    if context and exc.context_mark and exc.problem_mark \
            and exc.context_mark.line != exc.problem_mark.line:
        context += f" (from line {exc.context_mark.line + 1})"
    return ", ".join(part for part in (context, problem) if part) or "unreadable"


def _mapping_root(root: Node | None) -> MappingNode:
    """The top of the file, which must be a mapping of keys."""
    keys = ", ".join(schema()["required"])
    if root is None or (isinstance(root, ScalarNode) and root.tag.endswith(":null")):
        raise _Fatal(Problem(None, None, (), f"the file is empty: an ICS is a mapping of the keys"
                                             f" {keys} (qrinterop ics init writes a template)"))
    if not isinstance(root, MappingNode):
        kind = "a list" if isinstance(root, SequenceNode) else f"a single value ({root.value!r})"
        raise _Fatal(_at(root, (), f"the file holds {kind}: an ICS is a mapping of the keys "
                                   f"{keys}"))
    return root


# -- what only the nodes show: duplicates, placeholders, alias bombs -------------------------------
@dataclass
class _Survey:
    """One pass over the nodes before any value is built: duplicate keys (which YAML resolves
    silently to the last), placeholders left from the template, and how many values the
    document stands for once aliases are expanded (a few lines can stand for billions, and
    validation would visit them all)."""

    problems: list[Problem] = field(default_factory=list)
    placeholders: set[KeyPath] = field(default_factory=set)
    sizes: dict[int, int] = field(default_factory=dict)

    def visit(self, node: Node, path: KeyPath | None) -> int:
        """The node's expanded size; ``path`` None for nodes inside keys, never reported."""
        if id(node) in self.sizes:          # an alias: surveyed where it was defined
            return self.sizes[id(node)]
        self.sizes[id(node)] = 1            # an alias back to an ancestor counts once
        if isinstance(node, ScalarNode):
            self._placeholder(node, path)
            self._non_finite(node, path)
            return 1
        if isinstance(node, SequenceNode):
            size = 1 + sum(self.visit(item, _sub(path, i)) for i, item in enumerate(node.value))
        elif isinstance(node, MappingNode):
            size = 1 + self._mapping(node, path)
        else:           # PyYAML composes only the three kinds
            size = 1
        self.sizes[id(node)] = size
        return size

    def _mapping(self, node: MappingNode, path: KeyPath | None) -> int:
        first: dict[tuple[str, str], Node] = {}
        size = 0
        for key, value in node.value:
            if key.tag == MERGE_TAG:
                size += self.visit(value, path)
                continue
            name = key.value if isinstance(key, ScalarNode) else "?"
            if isinstance(key, ScalarNode) and path is not None:
                earlier = first.setdefault((key.tag, key.value), key)
                if earlier is not key:
                    self.problems.append(_at(key, (*path, name), "duplicate key: already given "
                                             f"on line {earlier.start_mark.line + 1}"))
            size += self.visit(key, None) + self.visit(value, _sub(path, name))
        return size

    def _placeholder(self, node: ScalarNode, path: KeyPath | None) -> None:
        if path is not None and PLACEHOLDER.fullmatch(node.value):
            self.placeholders.add(path)
            self.problems.append(_at(node, path, f"placeholder {node.value} not filled in"))


    def _non_finite(self, node: ScalarNode, path: KeyPath | None) -> None:
        """``.nan`` and ``.inf`` are numbers to YAML and the schema, but no scale or amount:
        they compare false with every bound, and JSON (the report) has no way to write them."""
        if path is not None and node.tag == FLOAT_TAG and \
                not math.isfinite(_Loader("").construct_yaml_float(node)):
            self.problems.append(_at(node, path, f"{node.value} is not a finite number"))


def _sub(path: KeyPath | None, part: str | int) -> KeyPath | None:
    return None if path is None else (*path, part)


# -- schema errors, located -----------------------------------------------------------------------
def _schema_problems(document: dict, root: MappingNode,
                     placeholders: set[KeyPath]) -> Iterator[Problem]:
    for error in _validator().iter_errors(document):
        path = tuple(error.absolute_path)
        if _covered(path, placeholders):
            continue                        # already reported as a placeholder
        node, key = _find(root, path)
        if error.validator == "additionalProperties" and error.validator_value is False:
            yield from _unknown_keys(error, node, path)
        else:
            yield _at(_position(node, key), path, _message(error, node))


def _covered(path: KeyPath, placeholders: set[KeyPath]) -> bool:
    return any(path[:len(p)] == p for p in placeholders)


def _find(root: Node, path: Sequence[str | int]) -> tuple[Node, Node | None]:
    """The node an error path leads to and the key node naming it, as far as the path goes."""
    node, key = root, None
    for part in path:
        if isinstance(node, MappingNode) and (pair := _lookup(node, part)):
            key, node = pair
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            key, node = None, node.value[part]
        else:
            break
    return node, key


def _lookup(mapping: MappingNode, name: str | int) -> tuple[Node, Node] | None:
    """The key and value nodes for ``name``; the last one given, as YAML keeps the last."""
    pairs = [(k, v) for k, v in mapping.value if isinstance(k, ScalarNode) and k.value == str(name)]
    return pairs[-1] if pairs else None


def _position(node: Node, key: Node | None) -> Node:
    """Point at a scalar value itself; at the key of an empty value, a list or a mapping."""
    if key is None or (isinstance(node, ScalarNode) and node.value != ""):
        return node
    return key


def _at(node: Node, path: KeyPath, message: str) -> Problem:
    mark = node.start_mark
    return Problem(mark.line + 1, mark.column + 1, path, message)


def _unknown_keys(error: ValidationError, node: Node, path: KeyPath) -> Iterator[Problem]:
    allowed = sorted(_schema_of(error).get("properties", {}))
    for name in error.instance if isinstance(error.instance, dict) else {}:
        if name in allowed:
            continue
        pair = _lookup(node, name) if isinstance(node, MappingNode) else None
        yield _at(pair[0] if pair else node, (*path, name),
                  f"unknown key {str(name)!r}" + _suggestion(str(name), allowed, "allowed here"))


def _schema_of(error: ValidationError) -> Mapping[str, Any]:
    """The (sub)schema an error is about; a boolean schema has no keywords."""
    return error.schema if isinstance(error.schema, Mapping) else {}


def _suggestion(name: str, known: Sequence[str], label: str) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" ({label}: {', '.join(known) or 'none'})"


def _message(error: ValidationError, node: Node) -> str:
    """jsonschema's message, made to speak of what the person wrote in YAML."""
    if error.validator == "type":
        wanted = error.validator_value
        expected = " or ".join(wanted) if isinstance(wanted, list) else str(wanted)
        if isinstance(error.instance, dict | list):   # never repr a whole subtree
            kind = "mapping" if isinstance(error.instance, dict) else "list"
            return f"expected {expected}, found a {kind}"
        if isinstance(node, ScalarNode) and node.value == "" and node.style in (None, ""):
            return f"no value given (expected {expected})"
        return error.message + _yaml_hint(expected, node)
    description = _schema_of(error).get("description")
    if description and error.validator == "pattern":      # the rule in words, not the regex
        return f"{error.instance!r} is not {description}"
    if description and error.validator == "not":      # a key the launch chosen does not use
        return f"not used here: {description}"
    if description and error.validator == "required":  # a key the launch chosen needs
        return f"{error.message} ({description})"
    return error.message


def _yaml_hint(expected: str, node: Node) -> str:
    """YAML reads 00123 as a number and NO as false; the fix is quotes (or none). A list
    written as one line of text needs brackets or dashes."""
    if not isinstance(node, ScalarNode):
        return ""
    if expected == "array":
        return " (write a list: [first, second], or one '- item' per line)"
    quoted = node.style in ("'", '"')
    if "string" in expected and not quoted:
        return f' (write it in quotes: "{node.value}")'
    if "string" not in expected and quoted:
        return " (write it without quotes)"
    return ""


# -- names the schema cannot know: defects and features -------------------------------------------
@dataclass(frozen=True)
class _Parsed:
    """The data and the nodes it was built from, for the checks a schema cannot make."""

    document: dict
    root: MappingNode
    placeholders: set[KeyPath]

    def problem(self, path: KeyPath, message: str) -> Problem:
        node, key = _find(self.root, path)
        return _at(_position(node, key), path, message)

    def line(self, path: KeyPath) -> int:
        return _find(self.root, path)[0].start_mark.line + 1

    def value(self, path: KeyPath) -> Any:
        """The value at ``path``; None where a placeholder was left (already a problem)."""
        return None if _covered(path, self.placeholders) else _get(self.document, path)

    def items(self, path: KeyPath) -> Iterator[tuple[KeyPath, Any]]:
        """``(path, value)`` of every filled-in item of the list at ``path``, if it is one."""
        values = self.value(path)
        for i, value in enumerate(values if isinstance(values, list) else []):
            if not _covered((*path, i), self.placeholders):
                yield (*path, i), value


def _unknown_names(parsed: _Parsed, known_defects: set[str],
                   known_features: set[str]) -> Iterator[Problem]:
    """Defects come from the suite and features from the profile, not from the schema."""
    for path, known, what in ((("sut", "defects"), known_defects, "defect"),
                              (("institution", "features"), known_features, "feature")):
        for item, name in parsed.items(path):
            if isinstance(name, str) and name not in known:
                yield parsed.problem(item, f"unknown {what} {name!r}"
                                     + _suggestion(name, sorted(known), "known"))


# -- what the file points at: keys, folders; IDs; signature features -----------------------------
def _signature_keys(profile: object) -> dict[str, dict]:
    """The signature algorithms the profile the ICS names lets a key have, each with its
    feature and roles (``Profile.signature_keys``); the default profile's if it names none
    that can be read (the ``profile`` problem is reported by the schema and ``profile_for``)."""
    try:
        return _keys_of(profile_folder(profile if isinstance(profile, str) else None))
    except (ProfileError, UsageError):
        return _keys_of(profile_folder(None))


@cache
def _keys_of(folder: Path) -> dict[str, dict]:
    return load_profile(folder).signature_keys()


def _binding_problem(parsed: _Parsed, profile: object) -> Iterator[Problem]:
    """The SUT's wire binding must be one qrinterop builds for the profile the ICS names."""
    sut = parsed.document.get("sut")
    name = sut.get("binding") if isinstance(sut, dict) else None
    if not isinstance(name, str):
        return
    try:
        folder = profile_folder(profile if isinstance(profile, str) else None)
    except (ProfileError, UsageError):
        return                  # the profile's own problem is reported
    profile = load_profile(folder)
    built = known_bindings(profile)
    if name not in built:
        assessment = binding_entry(profile, name).get("assessment")
        why = f"; what is missing: {folder / assessment}" if assessment else ""
        yield parsed.problem(("sut", "binding"), f"binding {name!r} is not built for profile "
                             f"{profile.name} (built: {', '.join(built)}){why}")


def _capacity_problem(parsed: _Parsed, profile: object) -> Iterator[Problem]:
    """A declared peak needs a profile that says how capacity is certified (capacity.json):
    under one without (1.0) the declaration could never be judged."""
    if not isinstance(parsed.document.get("capacity"), dict):
        return
    try:
        loaded = load_profile(profile_folder(profile if isinstance(profile, str) else None))
    except (ProfileError, UsageError):
        return                  # the profile's own problem is reported
    if not loaded.capacity:
        yield parsed.problem(("capacity",), f"profile {loaded.name} has no capacity "
                             "certification (no capacity.json): leave capacity out, or name "
                             "a profile that has it (cn-interconnect/1.1)")


def _key_problems(parsed: _Parsed, folder: Path, known_features: set[str],
                  allowed: dict[str, dict]) -> Iterator[Problem]:
    """Each key file, read (relative paths start at the ICS file's folder), then the keys'
    algorithms against the profile's (``allowed``: for the roles claimed) and the signature
    features declared."""
    claimed = _get(parsed.document, ("institution", "roles"))
    known = {role for spec in allowed.values() for role in spec.get("roles", ())}
    roles = set(claimed) & known if isinstance(claimed, list) else set()
    for item, key in parsed.items(("keys",)):
        where = (*item, "public_key")
        algorithm = key.get("algorithm") if isinstance(key, dict) else None
        if isinstance(algorithm, str) and (problem := _algorithm_problem(
                algorithm, allowed, roles)):
            yield parsed.problem((*item, "algorithm"), problem)
        if isinstance(key, dict) and isinstance(path := parsed.value(where), str):
            problem = _public_key_problem(folder / path, algorithm)
            if problem:
                yield parsed.problem(where, problem)
    yield from _signature_features(parsed, known_features,
                                   {alg: spec["feature"] for alg, spec in allowed.items()})


def _algorithm_problem(algorithm: str, allowed: dict[str, dict], roles: set[str]) -> str | None:
    """Why a key of ``algorithm`` may not sign for an institution in ``roles``, or None
    (profile.json signing.keys: the algorithms a key may have, by role)."""
    if algorithm not in allowed:
        return (f"the profile allows no {algorithm} key: its keys are "
                f"{', '.join(sorted(allowed))} (profile.json signing.keys)")
    may = set(allowed[algorithm].get("roles", ()))
    if roles and not roles & may:
        return (f"the profile allows a {algorithm} key only for {', '.join(sorted(may))}, "
                f"not for {', '.join(sorted(roles))} (profile.json signing.keys)")
    return None


def _public_key_problem(path: Path, algorithm: object) -> str | None:
    try:
        key = _read_public_key(path)
    except KeyFormatError as exc:
        return str(exc)
    if algorithm in SIGNATURE_FEATURES and key.algorithm != algorithm:
        return f"{path} is a {key.algorithm} key, but algorithm says {algorithm}"
    return None


def _signature_features(parsed: _Parsed, known_features: set[str],
                        features_of: dict[str, str]) -> Iterator[Problem]:
    """Declared signature features and listed keys must agree both ways: the features select
    the signature scenarios, the keys are what the switch verifies with (``features_of``:
    each algorithm's feature, profile.json signing.keys). Without keys (the reference
    institution with a key made for the run) there is nothing to compare."""
    keys = [(item, key.get("algorithm")) for item, key in parsed.items(("keys",))
            if isinstance(key, dict)]
    features = _get(parsed.document, ("institution", "features"))
    features = [] if features is None else features
    if not keys or not isinstance(features, list):
        return
    for item, algorithm in keys:
        feature = features_of.get(algorithm) if isinstance(algorithm, str) else None
        if feature in known_features and feature not in features:
            yield parsed.problem((*item, "algorithm"), f"a {algorithm} key, but "
                                 f"institution.features does not declare {feature!r}")
    listed = {algorithm for _item, algorithm in keys}
    for item, name in parsed.items(("institution", "features")):
        for algorithm, feature in features_of.items():
            if name == feature and algorithm not in listed:
                yield parsed.problem(item, f"feature {name!r} is declared, but keys lists no "
                                           f"{algorithm} key")


def _duplicate_ids(parsed: _Parsed, section: str) -> Iterator[Problem]:
    """Key IDs name the key a signature was made with; account IDs, the account a scenario
    uses: each must name one thing."""
    first: dict[str, KeyPath] = {}
    for item, entry in parsed.items((section,)):
        ident = parsed.value((*item, "id")) if isinstance(entry, dict) else None
        if isinstance(ident, str) and first.setdefault(ident, item) != item:
            yield parsed.problem((*item, "id"), f"duplicate ID {ident!r}: already given on "
                                                f"line {parsed.line((*first[ident], 'id'))}")


def _workdir_problem(parsed: _Parsed, folder: Path) -> Iterator[Problem]:
    workdir = parsed.value(("sut", "workdir"))
    if parsed.value(("sut", "launch")) == "command" and isinstance(workdir, str):
        problem = _path_problem(folder / workdir, folder=True)
        if problem:
            yield parsed.problem(("sut", "workdir"), problem)


def _path_problem(path: Path, folder: bool) -> str | None:
    """Why ``path`` is not the regular file (or the folder) an ICS names, or None."""
    kind = "folder" if folder else "file"
    try:
        if not path.exists():
            return f"no such {kind} {path} (a relative path starts at the ICS file's folder)"
        is_dir, is_file = path.is_dir(), path.is_file()
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror or exc}"
    if is_dir if folder else is_file:
        return None
    found = "a folder" if is_dir else "a file" if is_file else "a device, pipe or socket"
    return f"{path} is {found}, not a {kind}"


def _get(document: Any, path: KeyPath) -> Any:
    """The value at ``path`` (keys and list indexes), or None where there is none."""
    for part in path:
        if isinstance(document, dict):
            document = document.get(part)
        elif isinstance(document, list) and isinstance(part, int) and part < len(document):
            document = document[part]
        else:
            return None
    return document


# -- the template ---------------------------------------------------------------------------------
#: What ``qrinterop ics init`` writes: a YAML file people read, so it is kept as one (valid YAML
#: as it stands, its two ``${...}`` fields filled from the profile in use).
TEMPLATE_FILE = Path(__file__).with_name("template.yaml")


def template(profile: str, features: dict[str, dict]) -> str:
    """The commented ICS template, listing the profile's optional features."""
    width = max(map(len, features), default=0)
    listed = "\n  #   ".join(f"{name:<{width}}  {info['en']}" for name, info in features.items())
    text = TEMPLATE_FILE.read_text(encoding="utf-8")
    return string.Template(text).substitute(profile=profile, features=listed or "(none)",
                                            ready=f"{Sut.ready_timeout_s:g}",
                                            scale=f"{Sut.timing_scale:g}")
