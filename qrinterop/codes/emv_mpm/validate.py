"""Validating merchant-presented payloads against every rule of a profile.

:func:`validate` reports every problem as a :class:`Finding` tied to a requirement of the
profile's catalogue. It is built for throughput (a switch or a linter runs it on every code it
sees): one pass splits and checks each level, a value is looked at closely only when a cheap
test rejects it, and findings are built only for problems.
"""

from __future__ import annotations

import binascii
import unicodedata
from functools import cached_property

from qrinterop.codes.emv_mpm.parse import (
    DataObject,
    MerchantCode,
    Problem,
    header_problem,
    split,
    split_bytes,
    split_miscounted,
    truncated,
)
from qrinterop.codes.emv_mpm.rules import (
    FMT_AN,
    FMT_ANS,
    FMT_N,
    FMT_S,
    FORMAT_TEXT,
    K_DIGITS,
    K_PRINTABLE,
    K_SET,
    K_TEMPLATE,
    Container,
    PayloadRules,
    Rule,
    Rules,
)
from qrinterop.codes.emv_mpm.syntax import HEX, join
from qrinterop.codes.findings import ERROR, LENIENT, Finding, Policy

_LUHN_DOUBLE = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


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
    if fmt == FMT_ANS:
        return value.isascii() and value.isprintable()
    if fmt == FMT_N:
        return value.isascii() and value.isdigit()
    if fmt == FMT_AN:
        return value.isascii() and value.isalnum()
    return _s_ok(value)


def _first_bad(fmt: int, value: str) -> str:
    for index, char in enumerate(value):
        if not _format_ok(fmt, char):
            return f"; {char!r} (U+{ord(char):04X}) at character {index + 1}"
    return "; the text is not in precomposed form (NFC)" if fmt == FMT_S else ""


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
        return (f"{value!r} has {len(decimals)} decimals; currency {currency} has "
                f"{exponent}{_EXPONENT_PROBLEM}")
    return None


#: How the amount check ends the one problem a profile may judge as a warning.
_EXPONENT_PROBLEM = " (its exponent); digits after the decimal mark should not exceed it"


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


def _length_message(rule: Rule, size: int) -> str:
    if rule.min == rule.max:
        return f"{rule.name} must be {rule.max} characters long, not {size}"
    if size > rule.max:
        return f"{rule.name} is {size} characters long; at most {rule.max} allowed"
    return f"{rule.name} is {size} characters long; at least {rule.min} required"


class _Context:
    """State of one validate() call."""

    __slots__ = ("findings", "leaves", "payload", "plain", "policy", "present", "rules")

    def __init__(self, rules: Rules, policy: Policy, plain: bool) -> None:
        self.rules = rules
        self.payload: PayloadRules = rules.payload
        self.findings: list[Finding] = []
        #: (path, id, value) of primitive values long enough to hold a card number
        self.leaves: list[tuple[str, str, str]] = []
        self.policy = policy
        self.plain = plain                          # the payload is printable ASCII
        self.present: dict[str, str] = {}           # root id -> value (first occurrence)


def _check_closer(rule: Rule, value: str, path: str, container: Container,
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
                                f"{rule.name} must be {FORMAT_TEXT[rule.fmt]}"
                                f"{_first_bad(rule.fmt, value)}"))
        return      # the value checks below assume the format
    if not length_ok and rule.min == rule.max:
        return      # a code of the wrong length (currency, country) is not judged further
    if rule.values is not None and value not in rule.values:
        allowed = ", ".join(f'"{v}"' for v in sorted(rule.values))
        findings.append(Finding(rule.values_req, ERROR, path,
                                f'{rule.name} is "{value}"; allowed: {allowed}'))
    if rule.check is not None:
        _named_check(rule, rule.check, value, path, ctx)
    if rule.letters is not None:
        wrong = set(value) - set(rule.letters)
        if wrong or (rule.unique_letters and len(set(value)) != len(value)):
            findings.append(Finding(rule.req, ERROR, path,
                                    f'{rule.name} "{value}" must combine '
                                    f"{', '.join(rule.letters)}, each at most once"))
    if rule.parts:
        _check_parts(rule, value, path, findings)


def _named_check(rule: Rule, check: str, value: str, path: str, ctx: _Context) -> None:
    """The rules file's named ``check`` of ``rule`` (amount, currency, ...) on ``value``."""
    problem = None
    severity = ERROR
    if check == "amount":
        currency = ctx.present.get("53")
        known = ctx.rules.currencies.get(currency) if currency else None
        problem = _amount_problem(value, known[1] if known else None,
                                  f"{currency} ({known[0]})" if known else currency)
        if problem is not None and problem.endswith(_EXPONENT_PROBLEM) \
                and ctx.rules.decimals_severity != ERROR:
            severity = ctx.policy.lenient_severity
    elif check == "currency":
        if value not in ctx.rules.currencies:
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
    if problem is not None:
        ctx.findings.append(Finding(ctx.rules.check_requirements[check], severity, path, problem))


def _check_parts(rule: Rule, value: str, path: str, findings: list[Finding]) -> None:
    layout = " + ".join(f"{name} ({length})" for name, length, *_ in rule.parts)
    total = sum(part[1] for part in rule.parts)
    if len(value) != total:
        findings.append(Finding(rule.parts_req, ERROR, path,
                                f"{rule.name} must be {total} characters: {layout}; "
                                f"found {len(value)}"))
        return
    start = 0
    for name, length, fmt, allowed in rule.parts:
        part = value[start:start + length]
        if not _format_ok(fmt, part):
            findings.append(Finding(rule.parts_req, ERROR, path,
                                    f"{rule.name}: {name} {part!r} (characters {start + 1}-"
                                    f"{start + length}) must be {FORMAT_TEXT[fmt]}"))
        elif allowed is not None and part not in allowed:
            findings.append(Finding(rule.parts_req, ERROR, path,
                                    f"{rule.name}: {name} {part!r} (character {start + 1}) "
                                    f"must be one of {', '.join(allowed)}"))
        start += length


# -- validation: levels ---------------------------------------------------------------------------

_BYTES_MESSAGE = ("lengths appear to count bytes: the objects only read correctly when lengths "
                  "are taken as UTF-8 byte counts, but EMV lengths count characters (a Chinese "
                  "character is 1, not 3)")
_MISCOUNT_MESSAGE = ("lengths appear to count bytes or code units: the objects only read "
                     "correctly when lengths are taken as {}, but EMV lengths count characters "
                     "(a Chinese character is 1, and so is one outside the BMP)")


def _rebuilt(text: str) -> tuple[str, str] | None:
    """``text`` re-encoded with character-count lengths, and what its lengths counted, when
    it only splits with lengths read as UTF-8 byte counts, GBK byte counts or UTF-16 units;
    None when it does not split any of those ways either."""
    pairs = split_bytes(text)
    message = _BYTES_MESSAGE
    if pairs is None and (miscount := split_miscounted(text)) is not None:
        message, pairs = _MISCOUNT_MESSAGE.format(miscount[0]), miscount[1]
    if pairs is None:
        return None
    return "".join(f"{obj_id}{len(value):02d}{value}" for obj_id, value in pairs), message


def _check_text(text: str, container: Container, path: str, byte_mode: bool,
                ctx: _Context) -> tuple[list[tuple], Problem | None]:
    """Split one level (the root or a template's value) and check its objects in one pass.

    Returns the level's objects as light (id, value, children) tuples and, when the text does
    not split, the problem (offset, message, ID); the level's presence rules are then not
    judged, since the damage hides what follows it.
    """
    leaves = ctx.leaves
    plain = ctx.plain
    pan_min = ctx.payload.pan_min
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
                problem = header_problem(head, pos)
                break
        obj_id, length, kind, accepted, rule = entry
        stop = pos + 4 + length
        if stop > end:
            problem = truncated(length, end - pos - 4, pos, obj_id)
            break
        value = text[pos + 4:stop]
        pos = stop
        seen[obj_id] = value
        if kind:
            if kind == K_TEMPLATE:
                add((obj_id, value, _check_template(value, rule, join(path, obj_id),
                                                    byte_mode, ctx)))
                continue
            if kind == K_SET:
                ok = accepted is not None and value in accepted
            elif kind == K_DIGITS:
                ok = value.isdigit() and value.isascii()
            elif kind == K_PRINTABLE:
                ok = value.isascii() and value.isprintable()
            else:
                ok = False
            if not ok:
                if closer is None:
                    closer = []
                closer.append((rule, value))
        add((obj_id, value, None))
        if length >= pan_min:
            leaves.append((path, obj_id, value))
    if len(seen) != len(light):
        seen = _duplicates(light, container, path, ctx)
    if not path:
        ctx.present = seen
    if closer:
        for rule, value in closer:
            _check_closer(rule, value, join(path, rule.id), container, ctx)
    if problem is None and (container.presence_rules
                            or not seen.keys() >= container.mandatory_ids):
        _check_presence(seen, container, path, ctx)
    if len(light) < container.min_objects:
        ctx.findings.append(Finding(container.req, ERROR, path,
                                    f"{container.name} must hold at least "
                                    f"{container.min_objects} well-formed data object"))
    return light, problem


def _duplicates(light: list[tuple], container: Container, path: str,
                ctx: _Context) -> dict[str, str]:
    """Report IDs that occur more than once; the first occurrence of each is the one used."""
    seen: dict[str, str] = {}
    for obj_id, value, _ in light:
        if obj_id in seen:
            ctx.findings.append(Finding(ctx.payload.duplicate_req, ERROR, join(path, obj_id),
                                        f"ID {obj_id} occurs more than once in "
                                        f"{container.name if path else 'the payload'}"))
        else:
            seen[obj_id] = value
    return seen


def _check_presence(seen: dict[str, str], container: Container, path: str,
                    ctx: _Context) -> None:
    findings = ctx.findings
    if not seen.keys() >= container.mandatory_ids:
        for rule in container.mandatory:
            if rule.id not in seen:
                findings.append(Finding(container.req, ERROR, join(path, rule.id),
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
        findings.append(Finding(req, _severity(severity, ctx.policy), join(path, where),
                                f"{message}, but {found}"))


def _severity(severity: str, policy: Policy) -> str:
    """A severity from the rules file: error, warning, or policy (the policy decides)."""
    return policy.lenient_severity if severity == "policy" else severity


def _is_zero(amount: str) -> bool:
    """An amount made of zeros and at most a decimal mark ("0", "0.00", "00.")."""
    return bool(amount) and not amount.replace("0", "").replace(".", "", 1)


def _check_template(value: str, rule: Rule, path: str, byte_mode: bool,
                    ctx: _Context) -> list[tuple]:
    container = rule.container
    assert container is not None
    if byte_mode and not value.isascii():
        # Inside a level whose lengths count bytes, this template's lengths do too.
        rebuilt = _rebuilt(value)
        if rebuilt is not None:
            return _check_text(rebuilt[0], container, path, True, ctx)[0]
    findings, leaves = ctx.findings, ctx.leaves
    marks = len(findings), len(leaves)
    light, problem = _check_text(value, container, path, byte_mode, ctx)
    if problem is None:
        return light
    rebuilt = None if value.isascii() else _rebuilt(value)
    if rebuilt is not None:
        del findings[marks[0]:], leaves[marks[1]:]
        findings.append(Finding(ctx.payload.bytes_req, ERROR, path, rebuilt[1]))
        return _check_text(rebuilt[0], container, path, True, ctx)[0]
    _, message, obj_id = problem
    findings.append(Finding(ctx.payload.syntax_req, ERROR, join(path, obj_id) if obj_id else path,
                            f"{message} in {rule.name}"))
    return light


def validate(payload: str, rules: Rules,
             policy: Policy = LENIENT) -> tuple[MerchantCode | None, list[Finding]]:
    """Check a merchant-presented payload against every rule of a profile's ``rules``.

    Returns the parsed code and all findings (empty when the code is clean). The code is None
    only when the payload cannot be split into data objects at all; one R-MPM-01 finding then
    says where.
    """
    rule = rules.payload
    if not payload:
        return None, [Finding(rule.syntax_req, ERROR, "", "the payload is empty")]
    ctx = _Context(rules, policy, payload.isascii() and payload.isprintable())
    light, problem = _check_text(payload, rules.root, "", False, ctx)
    if problem is not None:
        recovered = _recover(payload, problem, rules, policy)
        if isinstance(recovered, Finding):
            return None, [recovered]
        light, payload, ctx = recovered
    elif not ctx.plain and not _ends_with_crc(light, rule) and not payload.isascii():
        # A value that swallowed the CRC: do the lengths count bytes?
        pairs = split_bytes(payload)
        if pairs is not None and _ends_with_crc(pairs, rule):
            recovered = _recover(payload, (0, "", None), rules, policy)
            assert not isinstance(recovered, Finding)     # it splits with byte lengths
            light, payload, ctx = recovered
    _check_payload(payload, light, ctx)
    return _CheckedCode(payload, light), ctx.findings


def _check_payload(payload: str, light: list[tuple], ctx: _Context) -> None:
    """The rules of the payload as a whole: order, CRC, length, cleartext card numbers."""
    rule, policy, findings, present = ctx.payload, ctx.policy, ctx.findings, ctx.present
    first, last = rule.first, rule.last
    if light[0][0] != first and first in present:
        where = 1 + next(i for i, obj in enumerate(light) if obj[0] == first)
        findings.append(Finding(rule.order_req, ERROR, first,
                                f"ID {first} must be the first object; it is object {where}"))
    last_id, last_value, _ = light[-1]
    if last_id != last:
        if last in present:
            findings.append(Finding(rule.order_req, ERROR, last,
                                    f"ID {last} (CRC) must be the last object; the CRC cannot "
                                    "be checked"))
    elif len(last_value) == 4:
        # surrogatepass: a lone surrogate (reported by the format checks) must not crash the CRC
        expected = f"{binascii.crc_hqx(payload[:-4].encode('utf-8', 'surrogatepass'), 0xFFFF):04X}"
        if last_value != expected:
            findings.append(_crc_finding(last_value, expected, rule, policy))
    if len(payload) > rule.max_length:
        findings.append(Finding(rule.max_length_req, _severity(rule.max_length_severity, policy),
                                "", f"payload is {len(payload)} characters; it should not "
                                f"exceed {rule.max_length}"))
    for path, obj_id, value in ctx.leaves:
        for run in rule.digit_run.findall(value):
            if len(run) <= rule.pan_max and run[0] != "0" and _luhn_ok(run):
                findings.append(Finding(rule.pan_req, _severity(rule.pan_severity, policy),
                                        join(path, obj_id),
                                        f"{_masked(run)}: a Luhn-valid {len(run)}-digit number "
                                        "looks like a cleartext card number"))


def _ends_with_crc(objects: list[tuple] | list[tuple[str, str]], rule: PayloadRules) -> bool:
    return objects[-1][0] == rule.last and len(objects[-1][1]) == 4


def _crc_finding(found: str, expected: str, rule: PayloadRules, policy: Policy) -> Finding:
    if found.isascii() and found.upper() == expected:
        return Finding(rule.crc_case_req, policy.lenient_severity, rule.last,
                       f"CRC {found} is written in lower case; EMVCo writes upper case "
                       f"({expected})")
    if not HEX.issuperset(found):
        return Finding(rule.crc_req, ERROR, rule.last,
                       f"CRC {found!r} is not four hexadecimal characters; expected {expected}")
    return Finding(rule.crc_req, ERROR, rule.last,
                   f"CRC mismatch: expected {expected}, found {found}")


def _recover(payload: str, problem: Problem, rules: Rules,
             policy: Policy) -> tuple[list[tuple], str, _Context] | Finding:
    """The root does not split. Returns (light, payload, context) to go on with: lengths that
    count UTF-8 bytes (R-MPM-02), or a complete code followed by trailing characters; else
    the R-MPM-01 finding."""
    pos, message, obj_id = problem
    rule = rules.payload
    rebuilt = None if payload.isascii() else _rebuilt(payload)
    if rebuilt is not None:
        ctx = _Context(rules, policy, False)
        ctx.findings.append(Finding(rule.bytes_req, ERROR, "", rebuilt[1]))
        return _check_text(rebuilt[0], rules.root, "", True, ctx)[0], payload, ctx
    head = split(payload[:pos])[0]
    if head and _ends_with_crc(head, rule):
        ctx = _Context(rules, policy, False)
        ctx.findings.append(Finding(rule.syntax_req, ERROR, "",
                                    f"{len(payload) - pos} trailing characters "
                                    f"{payload[pos:pos + 12]!r} after the CRC object"))
        payload = payload[:pos]
        ctx.plain = payload.isascii() and payload.isprintable()
        return _check_text(payload, rules.root, "", False, ctx)[0], payload, ctx
    return Finding(rule.syntax_req, ERROR, obj_id or "", message)


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


