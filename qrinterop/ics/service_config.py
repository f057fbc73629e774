"""The configuration a simulated participant (or an SUT the harness starts) runs with.

The runner writes one per service (``services/<ID>.json`` in the run folder; for an SUT the
file ``QRINTEROP_SUT_CONFIG`` names, or the body of ``PUT /control/network``) and the
simulators read it back: both sides go through this one class, so a key is spelled and a
default chosen once. It lives beside the ICS model, not in the protocol, because it is the
ICS as the runner hands it to a process (identity, codes, terminal, roles, features, defects,
timing scale, with the ICS's defaults) plus the run's network; the simulators may import
``qrinterop.ics`` (pyproject's import contracts), and the protocol need know nothing of it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from qrinterop.ics.model import DEFAULT_TIMING_SCALE

#: The roles of a participant whose configuration names none: the reference institution's.
DEFAULT_ROLES = ("issuer", "acquirer")


class ServiceConfigError(ValueError):
    """A configuration that cannot be run with; says what is wrong with it."""


@dataclass(frozen=True)
class ServiceConfig:
    """One service's configuration. ``participants``: every registration of the run's
    network (``network.participants`` in the JSON), the service's own included."""

    id: str
    key_id: str                                 # the key ID its signatures carry
    state_file: str                             # its SQLite state, kept across a restart
    participants: tuple[dict, ...] = ()
    timing_scale: float = DEFAULT_TIMING_SCALE
    key_file: str | None = None                 # its private key (the harness made it)
    profile_dir: str | None = None              # None: the default profile
    defects: tuple[str, ...] = ()
    features: tuple[str, ...] | None = None     # None: every feature (a simulated peer)
    tap: bool = False                           # a peer watching an SUT switch for us
    switch_id: str | None = None
    switch_url: str | None = None
    url: str | None = None                      # its message endpoint
    control_url: str | None = None
    codes: dict = field(default_factory=dict)   # an ICS's codes, or a persona's
    roles: tuple[str, ...] = DEFAULT_ROLES
    terminal: dict = field(default_factory=dict)
    binding: str | None = None                  # the wire binding; None: the profile's JSON
    processes: int | None = None                # the simulated switch's (None: one), all
                                                # accepting on its one socket

    @classmethod
    def from_dict(cls, data: object) -> ServiceConfig:
        """A configuration from its JSON form; :class:`ServiceConfigError` if it is none."""
        if not isinstance(data, Mapping):
            raise ServiceConfigError(f"a service configuration is a JSON object, not "
                                     f"{type(data).__name__}")
        known = {f.name for f in fields(cls)} - {"participants"}
        unknown = set(data) - known - {"network"}
        if unknown:
            raise ServiceConfigError(f"unknown key(s) {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {name: data[name] for name in known if name in data}
        for name in ("defects", "features", "roles"):
            if isinstance(values.get(name), list):
                values[name] = tuple(values[name])
        for name in ("id", "key_id", "state_file"):
            if not isinstance(values.get(name), str):
                raise ServiceConfigError(f"{name} must be a string")
        values["timing_scale"] = timing_scale(data)
        processes = values.get("processes")
        if processes is not None and (isinstance(processes, bool)
                                      or not isinstance(processes, int) or processes < 1):
            raise ServiceConfigError(f"processes must be a positive integer, got {processes!r}")
        return cls(participants=participants(data), **values)

    @classmethod
    def read(cls, path: Path) -> ServiceConfig:
        """The configuration in a JSON file (the runner's, or ``QRINTEROP_SUT_CONFIG``)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ServiceConfigError(f"cannot read {path}: {exc}") from None
        return cls.from_dict(data)

    def as_dict(self) -> dict:
        """The JSON form: what the file holds. Unset keys are left out (``features``
        left out means every feature)."""
        raw: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "participants":
                raw["network"] = {"participants": list(value)}
            elif value is not None:
                raw[f.name] = list(value) if isinstance(value, tuple) else value
        return raw

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_dict(), indent=2, allow_nan=False),
                        encoding="utf-8")


def participants(network: Mapping[str, Any]) -> tuple[dict, ...]:
    """The registrations of a network (``network.participants``), each a mapping with a
    string ``id`` and ``url``; :class:`ServiceConfigError` otherwise."""
    listed = network.get("network")
    listed = listed.get("participants") if isinstance(listed, Mapping) else None
    if not isinstance(listed, list) or not all(
            isinstance(p, dict) and isinstance(p.get("id"), str) and isinstance(p.get("url"), str)
            for p in listed):
        raise ServiceConfigError("network.participants must be a list of registrations, "
                                 "each with a string id and url")
    return tuple(listed)


def timing_scale(network: Mapping[str, Any]) -> float:
    """The timing scale a configuration gives (the default when none): a number in (0, 1]."""
    scale = network.get("timing_scale", DEFAULT_TIMING_SCALE)
    if isinstance(scale, bool) or not isinstance(scale, int | float) or \
            not math.isfinite(scale) or not 0 < scale <= 1:
        raise ServiceConfigError(f"timing_scale must be a number in (0, 1], got {scale!r}")
    return float(scale)
