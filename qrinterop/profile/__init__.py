"""Profile: the interconnection standard as versioned data files.

A profile folder holds ``profile.json`` (the manifest) and the files it names. Every file is
checked against its own schema when loaded, so a broken profile stops a run with the file and
the problem named, never halfway through a certification.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource

from qrinterop.profile import field_map

DATA_DIR = Path(__file__).parent / "data"
SCHEMA_DIR = Path(__file__).parent / "schemas"
DEFAULT_PROFILE = ("cn-interconnect", "1.1")


class ProfileError(Exception):
    """A profile file is missing, not JSON, or breaks its schema."""


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise ProfileError(f"{path}: not valid JSON: {exc}") from None


def _parsed(path: Path, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProfileError(f"{path}: not valid JSON: {exc}") from None


def _read_json(path: Path) -> Any:
    return _parsed(path, _read_text(path))


def schema_error(schema: dict, document: object, separator: str = "/") -> str | None:
    """The most relevant way ``document`` breaks ``schema``, as "where: what"; None if it
    doesn't. One message, because a person fixes a file one problem at a time."""
    error = best_match(Draft202012Validator(schema).iter_errors(document))
    if error is None:
        return None
    return f"{separator.join(map(str, error.absolute_path)) or '(top level)'}: {error.message}"


def file_schema_error(schema_text: str, document_text: str, separator: str = "/") -> str | None:
    """:func:`schema_error` of a data file against its schema file, given as their texts.
    Validating the profile and the suite's data takes more than a second of pure Python, and
    every simulator and worker process loads them: a file found valid once is remembered by
    the digest of both texts and the validator's version (a marker file in the user's cache
    folder), so the same pair is not checked again. A broken file is checked every time, and
    a cache that cannot be written is simply not used."""
    marker = _validity_cache() / hashlib.sha256(
        "\0".join((_validator_version(), schema_text, document_text)).encode()).hexdigest()
    if marker.exists():
        return None
    problem = schema_error(json.loads(schema_text), json.loads(document_text), separator)
    if problem is None:
        with contextlib.suppress(OSError):
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
    return problem


@functools.cache
def _validator_version() -> str:
    return metadata.version("jsonschema")


def _validity_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "qrinterop" / "valid"


def _checked(path: Path, schema_name: str) -> Any:
    text = _read_text(path)
    document = _parsed(path, text)
    if problem := file_schema_error(_read_text(SCHEMA_DIR / schema_name), text):
        raise ProfileError(f"{path}: at {problem}")
    return document


@dataclass(eq=False)
class Profile:
    """One loaded profile version (hashable by identity, so validators are cached per profile)."""

    folder: Path
    manifest: dict
    requirements: dict[str, dict]
    response_codes: dict[str, dict]
    timing: dict[str, float]
    messages: dict
    features: dict[str, dict]
    business: dict
    schedules: dict[str, dict]
    faults: dict[str, dict]
    scaled: frozenset[str] = frozenset()      # timing parameters a test environment may shorten
    sources: dict[str, dict] = field(default_factory=dict)    # the registry, by id
    changes: dict = field(default_factory=dict)               # changes.json: why it differs
    standard_map: dict = field(default_factory=dict)          # jrt0245-map.json: chapters → files
    field_map: dict = field(default_factory=dict)   # messages/qrc-field-map.json (1.1 on)
    bindings: dict = field(default_factory=dict)    # bindings/bindings.json (1.1 on)
    capacity: dict = field(default_factory=dict)    # capacity.json (1.1 on): the load run

    @property
    def id(self) -> str:
        return self.manifest["id"]

    @property
    def version(self) -> str:
        return self.manifest["version"]

    @property
    def name(self) -> str:
        """``<id>/<version>``, as an ICS names the profile."""
        return f"{self.id}/{self.version}"

    def cited(self, entry: dict) -> list[dict]:
        """The registry entries an item of the profile (a requirement's ``source``, a
        response code, a timing parameter...) rests on, each with its ``id``."""
        return [{"id": ident, **self.sources[ident]} for ident in entry.get("sources", ())]

    def applies(self, requirement: dict, roles: AbstractSet[str],
                features: AbstractSet[str], carried: AbstractSet[str] | None = None) -> bool:
        """Whether a requirement binds an institution with these roles and ICS features,
        speaking a wire binding that ``carries`` these envelope fields (None: any); one
        about envelope fields (``wire``) binds only an SUT whose wire carries one of them."""
        on_wire = carried is None or not requirement.get("wire") or bool(
            set(requirement["wire"]) & carried)
        return on_wire and bool(roles & set(requirement["roles"])) and (
            requirement["level"] != "conditional" or requirement["feature"] in features)

    def seconds(self, name: str, scale: float = 1.0) -> float:
        """Timing parameter ``name`` in a test environment running at ``scale``: waits are
        shortened, network timeouts never are."""
        return self.timing[name] * (scale if name in self.scaled else 1.0)

    def signature_keys(self) -> dict[str, dict]:
        """Each signature algorithm a registered key may have, with the ICS feature that
        declares it and the roles that may use it (profile.json signing.keys). A profile
        without it (1.0): SM3withSM2 (sm2) and SHA256withRSA (rsa), for every role."""
        keys = self.manifest.get("signing", {}).get("keys")
        if keys is None:
            every = ["acquirer", "issuer", "switch"]
            return {"SM3withSM2": {"feature": "sm2", "roles": every},
                    "SHA256withRSA": {"feature": "rsa", "roles": every}}
        return dict(keys)

    def payer_reference(self, account: str) -> str:
        """The payer reference an issuer sends for ``account`` (payer.accountRef): masked as
        business.json payer_reference.mask says, ``622202*********0123``. A profile without
        it (1.0): the account ID itself."""
        mask = self.business.get("payer_reference", {}).get("mask")
        if mask is None:
            return account
        first, last = mask["value"]["keep_first"], mask["value"]["keep_last"]
        if len(account) <= first + last:
            first = 0
        return account[:first] + "*" * (len(account) - first - last) + account[-last:]

    def repeat_answer(self, role: str, msg_type: str | None = None) -> str:
        """How ``role`` answers an identical repeat of a request (of ``msg_type``) it already
        answered: ``first_answer``, or the response code refusing it as a duplicate
        (business.json idempotency.identical_repeat; a message resent until answered, a
        reversal or a notice, always gets the first answer). A profile without it (1.0): the
        switch gives the first answer, issuers and acquirers 12 but to reversals and notices,
        as 1.0's scenarios expect."""
        repeats = self.business.get("idempotency", {}).get("identical_repeat")
        resent = ("cpm.reversal", "notice.result", "mpm.collection_notice") if repeats is None \
            else repeats["resent_until_answered"]["value"]
        if msg_type in resent or (repeats is None and role == "switch"):
            return "first_answer"
        return "12" if repeats is None else str(repeats[role]["value"])

    def response(self, code: str) -> dict:
        """The catalogue entry of a response code, as the body fields ``respCode``/``respMsg``."""
        return {"respCode": code, "respMsg": self.response_codes[code]["zh"]}

    @cached_property
    def message_schemas(self) -> list[tuple[str, dict]]:
        """Every message schema document with the URI that ``$ref`` names it by."""
        base = self.messages["schema_base"]
        folder = self.folder / Path(self.manifest["files"]["messages"]).parent
        return [(base + p.name, _read_json(p)) for p in sorted(folder.glob("*.schema.json"))]

    def leg_body_schema(self, name: str, leg: str) -> dict:
        """The body schema of message type ``name`` on ``leg`` (``request.from-switch``...)."""
        entry = self.messages["messages"][name]
        document = dict(self.message_schemas)[self.messages["schema_base"] + entry["schema"]]
        return document["$defs"][leg]["properties"]["body"]

    def carries(self, name: str, leg: str, field: str) -> bool:
        """Whether message type ``name`` has ``field`` on ``leg`` in this version: how code
        that serves several versions (1.0 and 1.1) adds a field only where it exists."""
        try:
            return field in self.leg_body_schema(name, leg).get("properties", {})
        except KeyError:
            return False

    def carried(self, name: str, leg: str, body: dict) -> dict:
        """``body`` without the fields message type ``name`` does not have on ``leg`` in this
        version (all of it if the leg is unknown): what a relay passes on."""
        try:
            known = self.leg_body_schema(name, leg).get("properties", {})
        except KeyError:
            return body
        return {key: value for key, value in body.items() if key in known}

    def definition(self, name: str) -> dict:
        """A shared definition of the message set (``common.schema.json#/$defs/<name>``)."""
        base = self.messages["schema_base"]
        common = dict(self.message_schemas)[base + "common.schema.json"]
        return common["$defs"][name]

    @cached_property
    def schema_registry(self) -> Registry:
        return Registry().with_resources(
            (uri, Resource.from_contents(schema)) for uri, schema in self.message_schemas)

    def message_schema_uri(self, msg_type: str, leg: str) -> str | None:
        """Schema URI for ``msg_type`` (e.g. ``cpm.purchase.request``) on ``leg``
        (``to-switch`` or ``from-switch``); None for an unknown message type or one that is
        not sent on that leg."""
        base = self.messages["schema_base"]
        if msg_type == "reject":
            return base + self.messages["reject"]["schema"]
        name, _, kind = msg_type.rpartition(".")
        entry = self.messages["messages"].get(name)
        if entry is None or f"{kind}.{leg}" not in entry["legs"]:
            return None     # unknown, or a message that never travels on this leg
        return f"{base}{entry['schema']}#/$defs/{kind}.{leg}"


def by_scenarios(requirement: dict) -> bool:
    """Whether scenarios verify a requirement: not one verified outside the harness
    (``manual``), nor one the capacity run verifies (``verified_by``)."""
    return "manual" not in requirement and "verified_by" not in requirement


def profile_folder(reference: str | None = None) -> Path:
    """The folder of a profile named ``<id>/<version>`` (a bundled one) or by its path;
    None: the default. A name that is neither is a :class:`ProfileError` listing the
    bundled ones."""
    if reference is None:
        return DATA_DIR.joinpath(*DEFAULT_PROFILE)
    for folder in (DATA_DIR / reference, Path(reference)):
        if "/" in reference and (folder / "profile.json").is_file():
            return folder
    folder = Path(reference)
    if (folder / "profile.json").is_file():
        return folder
    known = ", ".join(f"{p.parent.name}/{p.name}" for p in sorted(DATA_DIR.glob("*/*")))
    raise ProfileError(f"no profile {reference!r} (bundled: {known}; or give a folder)")


def load_profile(folder: Path | None = None) -> Profile:
    """Load and check a profile folder (default: the bundled cn-interconnect 1.1)."""
    folder = folder or profile_folder()
    manifest = _checked(folder / "profile.json", "profile.schema.json")
    files = manifest["files"]
    requirements = _checked(folder / files["requirements"], "requirements.schema.json")
    codes = _checked(folder / files["response_codes"], "response-codes.schema.json")
    timing = _checked(folder / files["timing"], "timing.schema.json")
    features = _checked(folder / files["features"], "features.schema.json")
    routing = _checked(folder / files["routing"], "routing.schema.json")
    emv_mpm = _checked(folder / files["emv_mpm"], "emv-mpm.schema.json")
    business = _checked(folder / files["business"], "business.schema.json")
    faults = _checked(folder / files["faults"], "faults.schema.json")["faults"]
    _check_fault_requirements(folder / files["faults"], faults, requirements)
    catalogue_path = folder / files["messages"]
    messages = _checked(catalogue_path, "message-catalogue.schema.json")
    _check_message_files(catalogue_path, messages)
    sources = (_checked(folder / files["sources"], "sources.schema.json")["sources"]
               if "sources" in files else {})
    changes = (_checked(folder / files["changes"], "changes.schema.json")
               if "changes" in files else {})
    _check_unique_ids(folder / files.get("changes", ""), changes.get("changes", ()))
    standard_map = (_checked(folder / files["jrt0245_map"], "jrt0245-map.schema.json")
                    if "jrt0245_map" in files else {})
    _check_map_files(folder / files.get("jrt0245_map", ""), standard_map, files)
    bindings = (_checked(folder / files["bindings"], "bindings.schema.json")
                if "bindings" in files else {})
    _check_assessments(folder, bindings, sources)
    capacity = (_checked(folder / files["capacity"], "capacity.schema.json")
                if "capacity" in files else {})
    _check_capacity(folder / files.get("capacity", ""), capacity, requirements)
    _check_citations(folder, files, sources, requirements=requirements, response_codes=codes,
                     timing=timing, features=features, business=business, faults=faults,
                     messages=messages, changes=changes, jrt0245_map=standard_map,
                     routing=routing, emv_mpm=emv_mpm, bindings=bindings, capacity=capacity)
    profile = Profile(
        folder=folder,
        manifest=manifest,
        requirements={r["id"]: r for r in requirements["requirements"]},
        response_codes=codes["codes"],
        timing={k: v["value"] for k, v in timing["parameters"].items()},
        messages=messages,
        features=features["features"],
        business=business,
        schedules=timing.get("schedules", {}),
        faults=faults,
        scaled=frozenset(k for k, v in timing["parameters"].items() if v.get("scaled")),
        sources=sources,
        changes=changes,
        standard_map=standard_map,
        bindings=bindings,
        capacity=capacity,
    )
    if "qrc_field_map" in files:
        _check_field_map(profile, folder / files["qrc_field_map"], sources)
    return profile


def _check_field_map(profile: Profile, path: Path, sources: dict) -> None:
    """The QRC field map names only messages, legs and fields the message set has, and
    cites only known sources; kept on the profile (``field_map``)."""
    document = _checked(path, "qrc-field-map.schema.json")
    found = field_map.problems(profile, document) + [
        f"cites unknown source {s}" for s in document["sources"] if s not in sources]
    if found:
        raise ProfileError(f"{path}: {'; '.join(found)}")
    profile.field_map = document


def _citations(document: object) -> Iterator[str]:
    """Every source id a profile document names, in any ``sources`` list at any depth."""
    if isinstance(document, dict):
        for key, value in document.items():
            if key == "sources" and isinstance(value, list):
                yield from (v for v in value if isinstance(v, str))
            else:
                yield from _citations(value)
    elif isinstance(document, list):
        for value in document:
            yield from _citations(value)


def _check_assessments(folder: Path, bindings: dict, sources: dict) -> None:
    """A binding not built may name a file of the profile saying what is public of it and
    what is missing (``assessment``): it follows its schema, is about that binding, and cites
    only the sources registry."""
    for name, entry in bindings.get("bindings", {}).items():
        if "assessment" not in entry:
            continue
        path = folder / entry["assessment"]
        document = _checked(path, "binding-assessment.schema.json")
        if document["binding"] != name or entry["status"] != document["status"]:
            raise ProfileError(f"{path}: assesses {document['binding']!r} "
                               f"({document['status']}), not {name!r} ({entry['status']})")
        if unknown := sorted(set(_citations(document)) - set(sources)):
            raise ProfileError(f"{path}: cites unknown source(s) {', '.join(unknown)} "
                               "(not in the profile's sources registry)")


def _check_citations(folder: Path, files: dict, sources: dict, **documents: object) -> None:
    """A citation must name an entry of the sources registry: a typo would otherwise pass for
    provenance. A profile without a registry (1.0) cites nothing by id."""
    for name, document in documents.items():
        unknown = sorted(set(_citations(document)) - set(sources))
        if unknown:
            raise ProfileError(f"{folder / files[name]}: cites unknown source(s) "
                               f"{', '.join(unknown)} (not in the profile's sources registry)")


def _check_unique_ids(path: Path, entries: Iterable[dict]) -> None:
    """Each change entry has an ID of its own: two under one ID would each explain the
    other's differences."""
    seen: set[str] = set()
    for entry in entries:
        if entry["id"] in seen:
            raise ProfileError(f"{path}: change {entry['id']} is listed twice")
        seen.add(entry["id"])


def _check_map_files(path: Path, standard_map: dict, files: dict) -> None:
    """A chapter of the standard map names files of this profile (as profile.json lists
    them, or profile.json itself): a renamed file would otherwise leave the map pointing
    nowhere."""
    known = {*files.values(), "profile.json"}
    for chapter in standard_map.get("chapters", ()):
        unknown = sorted(set(chapter["files"]) - known)
        if unknown:
            raise ProfileError(f"{path}: chapter {chapter['chapter']}: "
                               f"{', '.join(unknown)} is not a file of the profile")


def _check_capacity(path: Path, capacity: dict, requirements: dict) -> None:
    """The load run's shape covers the whole run (shares adding up to 1), and its judgements
    are reported under requirements that exist; every requirement verified by the capacity
    run is one of them, or nothing would ever judge it. A profile without capacity.json
    (1.0) verifies none by a run."""
    by_run = {r["id"] for r in requirements["requirements"]
              if r.get("verified_by") == "capacity"}
    if not capacity:
        if by_run:
            raise ProfileError(f"{path}: no capacity file, yet {', '.join(sorted(by_run))} "
                               "are verified by the capacity run")
        return
    problems = []
    if abs(sum(stage["share"] for stage in capacity["shape"]) - 1) > 1e-9:
        problems.append("the shape's shares do not add up to 1")
    named = set(capacity_requirements(capacity))
    known = {r["id"] for r in requirements["requirements"]}
    problems += [f"unknown requirement {ident}" for ident in sorted(named - known)]
    problems += [f"{ident} is verified by the capacity run but judged under no key of "
                 "requirements" for ident in sorted(by_run - named)]
    if problems:
        raise ProfileError(f"{path}: {'; '.join(problems)}")


def capacity_requirements(capacity: dict) -> list[str]:
    """Every requirement a capacity run's judgements are reported under (capacity.json
    ``requirements``), each once, in the order rate, latency, errors, money."""
    return list(dict.fromkeys(_identifiers(capacity.get("requirements", {}))))


def _identifiers(node: object) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict | list):
        for value in node.values() if isinstance(node, dict) else node:
            yield from _identifiers(value)


def _check_fault_requirements(path: Path, faults: dict, requirements: dict) -> None:
    """A fault names the requirements its expected behaviour comes from: they must exist."""
    known = {r["id"] for r in requirements["requirements"]}
    for name, fault in faults.items():
        unknown = sorted(set(fault["requirements"]) - known)
        if unknown:
            raise ProfileError(f"{path}: fault {name}: unknown requirement(s) {', '.join(unknown)}")


def _check_message_files(catalogue_path: Path, catalogue: dict) -> None:
    """Every schema the catalogue names exists and defines exactly the message's legs."""
    for name, entry in catalogue["messages"].items():
        schema = _read_json(catalogue_path.parent / entry["schema"])
        defined = set(schema.get("$defs", {}))
        if defined != set(entry["legs"]):
            raise ProfileError(f"{catalogue_path}: {name}: legs {sorted(entry['legs'])} but "
                               f"{entry['schema']} defines {sorted(defined)}")
