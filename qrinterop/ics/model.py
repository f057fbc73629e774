"""The ICS as typed data: what ``load_ics`` returns once ``ics.schema.json`` has passed it.

The schema says what a valid file is; these classes say what a valid file *means* to the
code that reads it, so that no reader spells a key or a default of its own. Each default
here is the one the schema documents (``tests/test_ics_model.py`` holds them equal), and
the constants are the ones the runner and the simulators use where no ICS speaks (the
simulators' start deadline, the scale a config without one runs at).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, is_dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")

#: How much faster than real time the profile's waits run: 1, real time, unless told.
DEFAULT_TIMING_SCALE = 1.0
#: Seconds a service (a simulator, or an SUT by its ICS) has to answer once started.
DEFAULT_READY_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Institution:
    """Who the SUT is and what it claims: roles and optional features select scenarios."""

    id: str
    name: str
    roles: tuple[str, ...]
    features: tuple[str, ...] = ()

    @property
    def is_switch(self) -> bool:
        """A switch's ICS: then the SUT routes and the harness plays the participants."""
        return "switch" in self.roles


@dataclass(frozen=True)
class Codes:
    """The codes that are the institution's own: the switch routes by them."""

    payment_code_prefix: str
    payment_code_length: int
    merchant_guid: str
    payment_code_validity_s: int | None = None      # None: the profile's (R-CPM-08)
    payment_code_use_limit: int | None = None       # None: the profile's, one use


@dataclass(frozen=True)
class Terminal:
    """A test terminal of the SUT's and its merchant."""

    id: str
    merchant_name: str
    mcc: str
    city: str


@dataclass(frozen=True)
class Key:
    """A public key the switch verifies the SUT's signatures with."""

    id: str
    algorithm: str
    public_key: Path        # absolute once loaded: relative ones start at the ICS's folder


@dataclass(frozen=True)
class Account:
    """A test payer account that exists in the SUT's test environment."""

    id: str
    name: str | None = None


@dataclass(frozen=True)
class CapacityDeclaration:
    """The peak the institution declares it sustains, which a capacity run holds it to."""

    peak_tps: float
    duration_s: int
    error_rate: float = 0.0         # the share of errors it accepts at its peak (R-CAP-03)


@dataclass(frozen=True)
class Sut:
    """How the harness reaches the SUT (the IXIT)."""

    launch: str                                 # reference, url, command or container
    url: str | None = None                      # its message endpoint
    control_url: str | None = None              # base URL of its test-control API
    command: tuple[str, ...] = ()
    workdir: Path | None = None                 # absolute once loaded (launch: command)
    image: str | None = None
    ready_timeout_s: float = DEFAULT_READY_TIMEOUT_S
    control_timeout_s: float | None = None      # None: the profile's upper_tester_timeout_s
    timing_scale: float = DEFAULT_TIMING_SCALE
    defects: tuple[str, ...] = ()
    binding: str | None = None                  # its wire binding; None: the profile's JSON

    @property
    def is_reference(self) -> bool:
        return self.launch == "reference"


@dataclass(frozen=True)
class Ics:
    """An Implementation Conformance Statement, checked. A switch has no codes or terminal."""

    schema: str
    profile: str
    institution: Institution
    sut: Sut
    codes: Codes | None = None
    terminal: Terminal | None = None
    keys: tuple[Key, ...] = ()
    accounts: tuple[Account, ...] = ()
    capacity: CapacityDeclaration | None = None

    @classmethod
    def from_document(cls, document: Mapping[str, Any], folder: Path | None = None) -> Ics:
        """The model of a document the schema accepted. ``folder``: where the file is, from
        which relative key files and workdir start (a command's default workdir is it)."""
        base = folder or Path(".")
        sut = _build(Sut, document["sut"])
        if sut.launch == "command":
            sut = replace(sut, workdir=base / (sut.workdir or "."))
        return cls(
            schema=document["schema"], profile=document["profile"],
            institution=_build(Institution, document["institution"]), sut=sut,
            codes=_build(Codes, document["codes"]) if "codes" in document else None,
            terminal=_build(Terminal, document["terminal"]) if "terminal" in document
            else None,
            keys=tuple(replace(key, public_key=base / key.public_key)
                       for key in (_build(Key, k) for k in document.get("keys", []))),
            accounts=tuple(_build(Account, a) for a in document.get("accounts", [])),
            capacity=_build(CapacityDeclaration, document["capacity"]) if "capacity" in document
            else None)

    @property
    def signing_key(self) -> Key | None:
        """The key the SUT signs with now: the last one listed."""
        return self.keys[-1] if self.keys else None

    def with_defects(self, defects: Iterable[str], catalogue: Mapping[str, dict]) -> Ics:
        """The ICS of a deliberately defective variant: ``defects`` added to its own, with
        the settings each needs in ``sut`` (``ics_sut``), with the features it claims
        (``ics_declares``) and without those it leaves out (``ics_undeclares``), as the
        catalogue (mocks/defects.json) says."""
        names = tuple(sorted({*self.sut.defects, *defects}))
        entries = [catalogue.get(name, {}) for name in names]
        sut = replace(self.sut, defects=names)
        for entry in entries:
            sut = replace(sut, **entry.get("ics_sut", {}))
        left_out = {f for entry in entries for f in entry.get("ics_undeclares", [])}
        added = [f for entry in entries for f in entry.get("ics_declares", [])]
        institution = replace(self.institution, features=tuple(dict.fromkeys(
            f for f in (*self.institution.features, *added) if f not in left_out)))
        return replace(self, sut=sut, institution=institution)

    def description(self) -> dict:
        """The institution as a network description (mocks/network.json's shape: the
        registration of its codes is built from it)."""
        return {"institution": as_dict(self.institution),
                **({"codes": as_dict(self.codes)} if self.codes else {}),
                **({"terminal": as_dict(self.terminal)} if self.terminal else {})}


def as_dict(model: DataclassInstance) -> dict:
    """The raw (JSON-able) form of a model: tuples as lists, paths as text, None left out,
    as the ICS file would have written it."""
    return {f.name: _raw(value) for f in fields(model)
            if (value := getattr(model, f.name)) is not None}


def _raw(value: object) -> object:
    if isinstance(value, tuple):
        return [_raw(item) for item in value]
    if isinstance(value, Path):
        return str(value)
    if is_dataclass(value) and not isinstance(value, type):
        return as_dict(value)
    return value


def _build(cls: type[T], data: Mapping[str, Any]) -> T:
    """One section of the document as its model: lists become tuples, paths Paths."""
    kinds = {f.name: f.type for f in fields(cls)}
    values: dict[str, Any] = {}
    for name, value in data.items():
        kind = str(kinds[name])
        if isinstance(value, list):
            value = tuple(value)
        elif "Path" in kind and value is not None:
            value = Path(value)
        values[name] = value
    return cls(**values)

