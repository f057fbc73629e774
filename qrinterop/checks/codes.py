"""Checks on codes: those the SUT makes (merchant codes, payment codes, printed symbols) and
those it meets (the test vectors a wallet or terminal is shown).

A code's findings come from ``qrinterop.codes`` (the library behind ``qrinterop lint``); each
becomes a violation under the requirement the *finding* names, with its severity, so that a
code breaking the CRC rule fails R-MPM-05 and one breaking the order rule R-MPM-03, whatever
the scenario is about. A finding of severity warning (a choice the specification leaves open,
judged without ``--strict``) is a WARNING: the profile allows it and advises against it.

The vectors' ``acceptable`` result (``vectors/README.md``: warnings only, errors with
``--strict``) is read the same way: a wallet may refuse such a code (it reads strictly) and
pass, or go on with it and pass with a warning naming each finding, as R-CERT-02 puts it
("acceptable ones with a warning").
"""

from __future__ import annotations

from decimal import Decimal

from qrinterop.checks.outcome import FAIL, WARNING, Violation, check, unequal, unless
from qrinterop.codes.findings import ERROR, Finding
from qrinterop.codes.findings import WARNING as FINDING_WARNING

#: What a code's findings can name (``codes/emv-mpm.json``'s rules, payment-code routing,
#: collection URLs, symbology); a finding that names none (the input is no code at all) is
#: reported under these, as its scenario is tagged.
CODE_REQUIREMENTS = (*(f"R-MPM-{n:02d}" for n in range(1, 17)),
                     "R-CPM-01", "R-CPM-02", "R-CPM-04", "R-URL-01")


def _violations(findings: list[Finding], what: str) -> list[Violation]:
    """One violation per finding, under the finding's own requirement and severity."""
    return [Violation(f"{what} at {f.path or 'the whole code'}", "no finding", f.message,
                      requirements=(f.requirement,) if f.requirement else (),
                      severity=WARNING if f.severity == FINDING_WARNING else FAIL)
            for f in findings]


def binding(findings: list[Finding], excused: frozenset[str]) -> list[Finding]:
    """The findings that bind the SUT: not those under a requirement it is ``excused``
    from (conditional on a feature its ICS does not declare: an ID 15 laid out otherwise
    than R-MPM-16 says is no fault of an institution that does not declare unionpay-id15).
    The code library judges every code by the profile's whole data dictionary; whom a rule
    binds is the profile's requirements' business."""
    return [f for f in findings if f.requirement not in excused]


@check(*CODE_REQUIREMENTS)
def code_conforms(findings: list[Finding]) -> list[Violation]:
    """The SUT's code has no finding: each one it has is a failure of the requirement it
    names, or a warning when judged leniently (``lint(..., LENIENT)``) and of severity
    warning."""
    return _violations(findings, "finding on the SUT's code")


@check("R-MPM-15")
def symbol_conforms(findings: list[Finding]) -> list[Violation]:
    """The printed QR symbol follows EMVCo's symbology rules (``image.check_symbol``)."""
    return _violations(findings, "finding on the printed symbol")


@check("R-MPM-15")
def scans_back(scanned: str | None, code: str) -> list[Violation]:
    """The printed symbol carries exactly the code, not a cleaned or re-encoded one."""
    return unequal("text scanned from the printed symbol", scanned, code)


@check("R-MPM-11")
def merchant_code_routes(route: dict | None, owner: str, role: str) -> list[Violation]:
    """The merchant account template's GUID routes the code to its acquirer."""
    return _routes(route, owner, role)


@check("R-CPM-02")
def payment_code_routes(route: dict | None, owner: str, role: str) -> list[Violation]:
    """The payment code's prefix and length route it to its issuer."""
    return _routes(route, owner, role)


def _routes(route: dict | None, owner: str, role: str) -> list[Violation]:
    route = route or {}
    return unequal("route of the code", (route.get("institution"), route.get("role")),
                   (owner, role))


@check("R-MPM-14")
def initiated(fields: dict, static_or_dynamic: str) -> list[Violation]:
    """The point of initiation (01) says static or dynamic as the code is meant."""
    return unequal("point of initiation", fields.get("pointOfInitiation"), static_or_dynamic)


@check("R-MPM-14")
def dynamic_for(fields: dict, amount: int) -> list[Violation]:
    """A dynamic code carries its amount (``amount`` in fen) and an order reference (62.05)."""
    return [*unequal("point of initiation", fields.get("pointOfInitiation"), "dynamic"),
            *unequal("amount in the code", fields.get("amount"), f"{Decimal(amount) / 100:.2f}"),
            *unless(bool((fields.get("additionalData") or {}).get("05")),
                    "order reference (62.05)", "present", "absent")]


@check("R-MPM-13")
def language_template(fields: dict, name: str, city: str) -> list[Violation]:
    """The merchant information language template (64) names the merchant locally."""
    alternate = fields.get("alternateLanguage") or {}
    return unequal("language template 64",
                   (alternate.get("merchantName"), alternate.get("merchantCity")), (name, city))


@check(*CODE_REQUIREMENTS)
def code_refused(findings: list[Finding], refused: bool, outcome: str) -> list[Violation]:
    """A code with errors was refused before anything was sent: if it was not, under the
    requirement of each rule it breaks (a code vector's, whichever rule that is)."""
    if refused:
        return []
    broken = tuple(dict.fromkeys(f.requirement for f in findings
                                 if f.severity == ERROR and f.requirement))
    return [Violation("what the SUT did with a code that breaks "
                      + "; ".join(f.message for f in findings if f.severity == ERROR),
                      "the code refused", outcome, requirements=broken)]


@check(*CODE_REQUIREMENTS)
def code_passed_on(findings: list[Finding]) -> list[Violation]:
    """The SUT went on with a code (sent it to the switch): right for a valid code; a
    failure for each error it has (it should have been refused); a warning for each finding
    of severity warning, since the profile advises against such a code (a vector whose
    result is ``acceptable``). Give it the findings of a lenient lint."""
    return [Violation(f"code the SUT went on with, at {f.path or 'the whole code'}",
                      "the code refused" if f.severity == ERROR else
                      "a code without this finding (or the code refused)", f.message,
                      requirements=(f.requirement,) if f.requirement else (),
                      severity=FAIL if f.severity == ERROR else WARNING)
            for f in findings]


@check("R-CPM-08")
def expiry_within_validity(shown_at: float, expires_at: object, validity_s: float,
                           slack_s: float) -> list[Violation]:
    """The wallet gave its payment code an expiry (``expires_at``, Unix time by its clock) no
    later than the validity it declares (``validity_s``, as the network runs it) after the
    code was shown (``shown_at``), give or take the ``slack_s`` the steps took: a code that
    lives longer than declared can pay after the issuer said it would not."""
    if not isinstance(expires_at, int | float):
        return [Violation("payment code's expiresAt", "a Unix time", repr(expires_at))]
    lived = float(expires_at) - shown_at
    return unless(lived <= validity_s + slack_s, "payment code's validity",
                  f"at most {validity_s:g} s after it was shown", f"{lived:.1f} s")
