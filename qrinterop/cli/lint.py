"""``qrinterop lint``: check codes from an argument, an image or a batch file.

Batch mode reads bytes and decodes each line itself, so that one line of invalid UTF-8 is a
finding on that line rather than the end of the run, and writes through one buffered stream
so that printing never costs more than checking.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, TextIO

from qrinterop.codes.emv_mpm import Rules
from qrinterop.codes.findings import ERROR, Finding, Policy, judged
from qrinterop.codes.lint import UNKNOWN, LintResult, lint
from qrinterop.codes.routing import RoutingTable, code_registration, default_table
from qrinterop.errors import UsageError
from qrinterop.ics.loader import read_yaml
from qrinterop.inputs import read_input
from qrinterop.profile import DATA_DIR, DEFAULT_PROFILE
from qrinterop.report.visible import visible
from qrinterop.runner.bdd.suite import locate


def mpm_rules() -> Rules:
    """The bundled profile's merchant-code rules: the command line checks codes against it."""
    return Rules.of(DATA_DIR.joinpath(*DEFAULT_PROFILE))


def routing_table() -> RoutingTable:
    """The profile's table plus the simulated institutions (the reference institution and its
    peers), when the suite is at hand."""
    table = default_table(DATA_DIR.joinpath(*DEFAULT_PROFILE))
    try:
        suite = locate()
    except UsageError:
        return table
    reference = read_yaml(suite.mocks / "reference-ics.yaml")
    peers = suite.network_layout()["peers"]
    return table.extended(code_registration(d) for d in [reference, *peers])


def lint_text(text: str, table: RoutingTable, policy: Policy) -> LintResult:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return LintResult(UNKNOWN, [Finding(None, ERROR, "", "input is not valid UTF-8")])
    return lint(text, table, policy, rules=mpm_rules())


def lint_image(path: Path, table: RoutingTable, policy: Policy) -> LintResult:
    """Scan a QR image and lint what it holds, adding the symbol's own findings."""
    from qrinterop.codes import image  # imaging libraries load only when an image is given

    try:
        scan = image.scan_png(read_input(path, "file", error=image.ImageError))
    except image.NoCodeFound as exc:
        return LintResult(UNKNOWN, [Finding(None, ERROR, "", str(exc))])
    except (image.ImageError, OSError) as exc:
        raise UsageError(f"cannot read image {path}: {exc}") from None
    result = lint_text(scan.text, table, policy)
    result.findings = [*judged(image.check_symbol(scan, policy), policy), *result.findings]
    result.fields = {**result.fields, "symbol": scan.as_dict()}
    return result


CHUNK_LINES = 1024
#: A payload is at most a few hundred bytes, and a longer line is that line's finding; but a
#: "line" of /dev/zero never ends, so past this one stops the batch.
MAX_LINE_BYTES = 16 * 1024 * 1024


def batch_lines(stream: BinaryIO) -> Iterator[str | None]:
    """Each line as text, or None when it is not UTF-8. A batch may be endless (a pipe), a
    line may not: :class:`UsageError` at the first longer than ``MAX_LINE_BYTES``."""
    for number, raw in enumerate(iter(lambda: stream.readline(MAX_LINE_BYTES + 1), b""), 1):
        if len(raw.rstrip(b"\r\n")) > MAX_LINE_BYTES:
            raise UsageError(f"--batch {getattr(stream, 'name', '-')}: line {number} is more "
                             f"than {MAX_LINE_BYTES:,} bytes, too large for a payload")
        try:
            yield raw.rstrip(b"\r\n").decode("utf-8")
        except UnicodeDecodeError:
            yield None


def lint_batch(lines: Iterable[str | None], out: TextIO, table: RoutingTable, policy: Policy,
               as_json: bool) -> bool:
    """Lint line by line, writing one result per input line; True if every line is valid.
    Results go out in chunks: one write per line costs as much as checking the line."""
    all_valid, chunk, rules = True, [], mpm_rules()
    for number, text in enumerate(lines, 1):
        result = (LintResult(UNKNOWN, [Finding(None, ERROR, "", "line is not valid UTF-8")])
                  if text is None else lint(text, table, policy, rules=rules))
        all_valid &= result.valid
        chunk.append(json.dumps({"line": number, **result.as_dict()}, ensure_ascii=False)
                     if as_json else visible(summary_line(result, f"line {number}")))
        if len(chunk) == CHUNK_LINES:
            out.write("\n".join(chunk) + "\n")
            chunk.clear()
    if chunk:
        out.write("\n".join(chunk) + "\n")
    return all_valid


# -- human output ---------------------------------------------------------------------------------
def summary_line(result: LintResult, label: str) -> str:
    if not result.findings:     # the common case, kept cheap for large batches
        return f"{label}: {result.kind} valid"
    verdict = "valid" if result.valid else "INVALID"
    first = next((f for f in result.findings if f.severity == ERROR), None)
    detail = f": {finding_line(first).strip()}" if first else ""
    more = len(result.findings) - (1 if first else 0)
    return f"{label}: {result.kind} {verdict}{detail}" + (f" (+{more} more)" if more else "")


def finding_line(finding: Finding) -> str:
    return (f"  {finding.severity:<7} {finding.requirement or '-':<9} {finding.path or '-':<8} "
            f"{finding.message}")


def human_report(result: LintResult) -> list[str]:
    lines = [f"{result.kind}: {'valid' if result.valid else 'INVALID'}"]
    if result.route:
        lines.append(f"  routes to {result.route['name']} ({result.route['role']})")
    lines += [f"  {name}: {value}" for name, value in highlights(result.fields)]
    lines += [finding_line(f) for f in result.findings]
    return lines


def highlights(fields: dict) -> list[tuple[str, str]]:
    """The few decoded fields a person checks first, in a stable order."""
    shown = []
    for key in ("merchantName", "merchantCity", "mcc", "currency", "amount", "pointOfInitiation",
                "code", "url", "form", "institution", "token"):
        if fields.get(key) not in (None, ""):
            shown.append((key, str(fields[key])))
    if local := fields.get("alternateLanguage"):
        shown.append(("merchantName (local)", f"{local.get('merchantName')} "
                                              f"({local.get('language')})"))
        if local.get("merchantCity"):
            shown.append(("merchantCity (local)", local["merchantCity"]))
    for app in fields.get("applications", []):
        shown.append(("application", f"{app.get('aid')} PAN {app.get('pan')}"))
    if symbol := fields.get("symbol"):
        shown.append(("symbol", ", ".join(f"{k} {v}" for k, v in symbol.items() if k != "text")))
    return shown
