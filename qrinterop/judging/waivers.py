"""Waivers: failures an approver accepts, per requirement, until an expiry date.

A failed scenario is *waived* when the requirement its failure names (or, when it names none,
every requirement the scenario is tagged with) is under a waiver in force on the day of the
run. A waiver past its expiry is not applied: the scenario stays failed, and the report lists
the waiver as expired, so an old acceptance can never quietly outlive its date.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from qrinterop.errors import UsageError
from qrinterop.inputs import MAX_HANDWRITTEN_BYTES, non_finite, read_input
from qrinterop.judging.verdicts import ScenarioResult
from qrinterop.profile import schema_error

SCHEMA = json.loads(Path(__file__).with_name("waivers.schema.json").read_text(encoding="utf-8"))


@dataclass
class Waiver:
    requirement: str
    reason: str
    approver: str
    expires: date
    waived: list[str] = field(default_factory=list)     # scenarios it turned from fail

    def in_force(self, today: date) -> bool:
        return today <= self.expires

    def as_dict(self, today: date) -> dict:
        return {"requirement": self.requirement, "reason": self.reason,
                "approver": self.approver, "expires": self.expires.isoformat(),
                "status": "in_force" if self.in_force(today) else "expired",
                "scenarios": self.waived}


def load_waivers(path: Path, requirements: set[str]) -> list[Waiver]:
    """The waivers in a YAML or JSON file; :class:`UsageError` naming the file and the first
    problem (not found, not YAML, schema, no such requirement, no such date)."""
    raw = read_input(path, "waiver file", MAX_HANDWRITTEN_BYTES)
    try:
        document = yaml.safe_load(raw.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UsageError(f"waiver file {path} cannot be read: {exc}") from None
    except RecursionError:
        raise UsageError(f"waiver file {path} cannot be read: nested too deeply") from None
    if (where := non_finite(document)) is not None:
        raise UsageError(f"waiver file {path}: {where}: not a finite number")
    if problem := schema_error(SCHEMA, document, separator="."):
        raise UsageError(f"waiver file {path}: {problem}")
    waivers = []
    for n, entry in enumerate(document["waivers"]):
        if entry["requirement"] not in requirements:
            raise UsageError(f"waiver file {path}: waivers.{n}.requirement: the profile has no "
                             f"requirement {entry['requirement']}")
        try:
            expires = date.fromisoformat(entry["expires"])
        except ValueError:
            raise UsageError(f"waiver file {path}: waivers.{n}.expires: "
                             f"{entry['expires']!r} is not a date") from None
        waivers.append(Waiver(entry["requirement"], entry["reason"], entry["approver"],
                              expires))
    return waivers


def apply_waivers(results: list[ScenarioResult], waivers: list[Waiver], today: date) -> None:
    """Turn each failed scenario whose failure is waived into ``waived``, saying by whom."""
    in_force = {w.requirement: w for w in waivers if w.in_force(today)}
    for result in results:
        if result.verdict != "fail":
            continue
        named = (result.failure or {}).get("requirement")
        concerned = [named] if named else result.requirements
        if concerned and all(req in in_force for req in concerned):
            result.verdict = "waived"
            result.reason = "; ".join(
                f"{req} waived by {in_force[req].approver} until "
                f"{in_force[req].expires.isoformat()}: {in_force[req].reason}" for req in concerned)
            for req in concerned:
                in_force[req].waived.append(result.id)
