"""``qrinterop matrix``: institutions × requirement areas, across bundles — what a regulator
looks at on a Monday morning. One row per bundle (an institution's run), one column per area
(the scenarios' ``@area.`` tags), each cell the worst verdict of that area's scenarios, and
beside it whether the bundle verifies.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from qrinterop.errors import UsageError
from qrinterop.evidence.bundle import BundleError, opened, outcome, verify
from qrinterop.evidence.keys import PublicBundleKey
from qrinterop.inputs import loads_json, read_input
from qrinterop.judging.verdicts import requirement_verdict
from qrinterop.profile import schema_error
from qrinterop.report.html import template_environment

REPORT_SCHEMA = json.loads(Path(__file__).with_name("report.schema.json").read_text(
    encoding="utf-8"))


@dataclass
class Row:
    bundle: str
    institution: dict
    verdict: str
    finished: str
    verified: str           # verified | intact, unsigned | NOT verified: <first problem>
    areas: dict[str, str]   # area → worst verdict of its scenarios
    peer: dict | None = None    # the second institution of a pair run (certify --peer-ics)

    def as_dict(self) -> dict:
        return self.__dict__


def row_of(path: Path, trusted: list[PublicBundleKey]) -> Row:
    """One bundle's row: its report's verdicts by area, and whether it verifies."""
    with opened(path) as folder:
        # Verified before report.json is read: verify refuses a report.json that is a link
        # (to /dev/zero, say) before anything follows it.
        try:
            checks = verify(folder, trusted)
            failing = [c for c in checks if not c.ok]
            verified = f"NOT verified: {failing[0].name}: {failing[0].detail}" if failing \
                else outcome(checks)
        except BundleError as exc:
            verified = f"NOT verified: {exc}"
        report = _report(folder, path)
    by_area: dict[str, list[str]] = {}
    for scenario in report["scenarios"]:
        for area in (t.removeprefix("area.") for t in scenario["tags"] if t.startswith("area.")):
            by_area.setdefault(area, []).append(scenario["verdict"])
    sut = report["run"]["sut"]
    return Row(str(path), {"id": sut["id"], "name": sut["name"], "roles": sut["roles"],
                           "defects": sut.get("defects", [])},
               report["verdict"], report["run"]["finished"], verified,
               {area: requirement_verdict(verdicts) for area, verdicts in by_area.items()},
               report["run"].get("peer"))


def _report(folder: Path, bundle: Path) -> dict:
    """The bundle's report.json, held to report.schema.json before a row is built from it:
    junk there (not JSON, nested without end, another document) is a :class:`ValueError`
    naming the bundle, not a crash halfway through the row."""
    try:
        report = loads_json(read_input(folder / "report.json", "report.json"))
        problem = schema_error(REPORT_SCHEMA, report, separator=".")
    except UsageError as exc:
        raise ValueError(f"{bundle}: {exc}") from None
    except ValueError as exc:
        problem = f"not JSON: {exc}"
    if problem:
        raise ValueError(f"{bundle}: report.json is not a qrinterop report: "
                         f"{problem if len(problem) <= 300 else problem[:300] + '…'}")
    return report


def pairs(rows: list[Row]) -> dict:
    """The pair view of the runs that certified two institutions against each other: each
    institution (rows) against each peer (columns), the run's verdict where they met."""
    paired = [(label(row.institution), label(row.peer), row.verdict) for row in rows
              if row.peer]
    return {"institutions": sorted({institution for institution, _peer, _v in paired}),
            "peers": sorted({peer for _institution, peer, _v in paired}),
            "verdicts": {f"{institution} | {peer}": verdict
                         for institution, peer, verdict in paired}}


def label(institution: dict) -> str:
    """An institution as a pair view names it: a defective variant is another counterpart."""
    defects = f", defects: {', '.join(institution['defects'])}" \
        if institution.get("defects") else ""
    return f"{institution['name']} ({institution['id']}{defects})"


def write_matrix(rows: list[Row], out: Path) -> tuple[Path, Path]:
    """``matrix.json`` and a self-contained ``matrix.html`` in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    areas = sorted({area for row in rows for area in row.areas})
    document = {"areas": areas, "rows": [row.as_dict() for row in rows],
                "pairs": pairs(rows)}
    json_path, html_path = out / "matrix.json", out / "matrix.html"
    json_path.write_text(json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n",
                         encoding="utf-8")
    html_path.write_text(template_environment().get_template("matrix.html.j2").render(**document),
                         encoding="utf-8")
    return json_path, html_path
