"""Findings: every problem a check finds in a code, each tied to the requirement it breaks.

Checks return all findings, never just the first: an institution fixing its code generator
wants the whole list at once. Some rules are policy choices the specification leaves open
(lower-case CRC hex, byte-length counting); they are warnings unless the policy is strict.
"""

from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    requirement: str     # an ID from the profile's requirements catalogue, e.g. "R-MPM-05"
    severity: str        # ERROR or WARNING
    path: str            # where: "63", "62.05", "61[1].4F", "" for the code as a whole
    message: str

    def as_dict(self) -> dict:
        return {"requirement": self.requirement, "severity": self.severity, "path": self.path,
                "message": self.message}


@dataclass(frozen=True, slots=True)
class Policy:
    """How to judge the choices the specification leaves open."""

    strict: bool = False

    @property
    def lenient_severity(self) -> str:
        """Severity of a policy finding: a warning, or an error in strict mode."""
        return ERROR if self.strict else WARNING


LENIENT = Policy()
STRICT = Policy(strict=True)


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == ERROR for f in findings)
