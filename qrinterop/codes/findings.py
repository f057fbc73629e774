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
    requirement: str | None  # an ID from the requirements catalogue, e.g. "R-MPM-05";
    #                          None when the input is not a code at all
    severity: str        # ERROR or WARNING
    path: str            # where: "63", "62.05", "61[1].4F", "" for the code as a whole
    message: str

    def as_dict(self) -> dict:
        return {"requirement": self.requirement, "severity": self.severity, "path": self.path,
                "message": self.message}


@dataclass(frozen=True, slots=True)
class Policy:
    """How to judge the choices the specification leaves open."""

    strict: bool = False        # warnings become errors (see judged())

    @property
    def lenient_severity(self) -> str:
        """Severity of a policy finding: a warning, or an error in strict mode."""
        return ERROR if self.strict else WARNING


LENIENT = Policy()
STRICT = Policy(strict=True)


def judged(findings: list[Finding], policy: Policy) -> list[Finding]:
    """The findings as the policy judges them: in strict mode every warning is an error, the
    way a compiler's -Werror works, so ``--strict`` means "nothing left to discuss"."""
    if not policy.strict:
        return findings
    return [Finding(f.requirement, ERROR, f.path, f.message) if f.severity == WARNING else f
            for f in findings]


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == ERROR for f in findings)
