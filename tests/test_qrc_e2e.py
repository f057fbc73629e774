"""End to end in the unionpay-qrc wire binding: `qrinterop certify --ics
docs/examples/ics-qrc.yaml` certifies the reference institution speaking UnionPay QRC style
forms, from another working folder. The whole run (every scenario, conformant) is measured in
README's "Certifying in your own wire format"; here, the purchases, merchant-code payments,
security and terminal scenarios, and message vectors of each kind."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.e2e

EXAMPLE = ROOT / "docs" / "examples" / "ics-qrc.yaml"
#: VEC-MSG-1 signature altered, 4 signed 600 s ago, 5 replayed, 9 a code sent as a number.
TAGS = ("@area.cpm or @area.mpm or @area.security or @tc.TERM-01 or @tc.TERM-02 or "
        "@tc.VEC-MSG-1 or @tc.VEC-MSG-4 or @tc.VEC-MSG-5 or @tc.VEC-MSG-9")


@pytest.fixture(scope="module")
def qrc_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("qrc")
    done = run_cli("certify", "--ics", "examples/ics-qrc.yaml", "--tags", TAGS,
                   "--out", str(folder / "run"), "--jobs", "2", cwd=EXAMPLE.parents[1],
                   timeout=600)
    report = json.loads((folder / "run" / "report.json").read_text(encoding="utf-8"))
    return done, folder / "run", report


def test_every_applicable_scenario_passes_speaking_qrc(qrc_run):
    done, _run, report = qrc_run
    assert report["run"]["sut"]["binding"] == "unionpay-qrc"
    summary = report["summary"]
    assert summary["pass"] >= 20, done.stdout
    assert summary["fail"] == summary["error"] == summary["inconclusive"] == 0, done.stdout


def test_transcripts_hold_forms_with_req_type_cert_id_and_signature(qrc_run):
    _done, run, report = qrc_run
    cpm = next(s for s in report["scenarios"] if s["id"] == "CPM-01")
    records = [json.loads(line) for line in
               (run / cpm["transcript"]).read_text(encoding="utf-8").splitlines()]
    wires = [r["content"]["wire"] for r in records
             if isinstance(r.get("content"), dict) and "wire" in r["content"]]
    assert len(wires) >= 4
    for wire in wires:
        assert wire["binding"] == "unionpay-qrc"
        assert re.fullmatch(r"\d{10}", wire["fields"]["reqType"])
        assert re.fullmatch(r"\d{11}", wire["fields"]["certId"])
        assert wire["fields"]["signature"] and "signature=" in wire["text"]
        assert not re.search(r"99[12]\d{15,16}", wire["text"])   # payment codes masked


def test_what_the_wire_cannot_hold_does_not_apply_and_says_why(qrc_run):
    _done, _run, report = qrc_run
    by_id = {s["id"]: s for s in report["scenarios"]}
    assert by_id["VEC-MSG-1"]["verdict"] == "pass"          # a signature altered: refused
    for ident, why in (("VEC-MSG-4", "carries no timestamp"), ("VEC-MSG-5", "carries no nonce"),
                       ("SEC-02", "carries no timestamp"), ("VEC-MSG-9", "is text")):
        assert by_id[ident]["verdict"] == "not_applicable", ident
        assert why in by_id[ident]["reason"], (ident, by_id[ident]["reason"])
