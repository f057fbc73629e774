"""Tests for the report writers: the schema, report.html and junit.xml.

They pin the promises reviewers and CI depend on: report.json is validated strictly, the HTML
shows every verdict, id and failure and is safe and offline, and JUnit counts add up.
"""

from __future__ import annotations

import copy
import json
import pathlib
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from qrinterop.report.html import write_html
from qrinterop.report.junit import write_junit

SCHEMA_PATH = pathlib.Path(__file__).parents[1] / "qrinterop" / "report" / "report.schema.json"
INJECTED = "<script>alert('x')</script>"


def _scenario(sid: str, verdict: str, feature: str, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": sid,
        "name": f"Scenario {sid}",
        "feature": feature,
        "tags": [f"tc.{sid}", "req.R-SEC-02", "role.issuer"],
        "requirements": ["R-SEC-02"],
        "verdict": verdict,
        "duration_s": 0.5,
        "transcript": f"transcripts/{sid}.jsonl",
        "rerun": f"qrinterop certify --tags tc.{sid}",
        "steps": [
            {
                "keyword": "Given",
                "name": "a reference acquirer",
                "status": "passed",
                "duration_s": 0.1,
            },
        ],
        "failure": None,
        "passive": {"messages": 2, "findings": []},
        "reason": None,
    }
    base.update(extra)
    return base


def _requirement(rid: str, verdict: str, scenarios: list[str]) -> dict[str, Any]:
    return {
        "id": rid,
        "level": "mandatory",
        "roles": ["issuer"],
        "title": {"en": f"Title of {rid}", "zh": f"{rid} 标题"},
        "source": {"kind": "scheme-practice", "ref": "public rules §1"},
        "verdict": verdict,
        "scenarios": scenarios,
    }


@pytest.fixture
def report() -> dict[str, Any]:
    """One pass, one fail, one inconclusive and one not_applicable, over two features."""
    failure = {
        "step": "Then the issuer declines the purchase",
        "message": f"expected respCode 72, observed 00 {INJECTED}",
        "requirement": "R-CPM-03",
        "expected": "declined (response code 72)",
        "observed": "approved (response code 00)",
    }
    finding = {
        "requirement": "R-MSG-01",
        "record": 3,
        "sender": "10000001",
        "message": "body.amount: 'x' is not of type 'integer'",
    }
    scenarios = [
        _scenario("SEC-01", "pass", "features/security.feature"),
        _scenario(
            "SEC-02",
            "fail",
            "features/security.feature",
            failure=failure,
            passive={"messages": 8, "findings": [finding]},
        ),
        _scenario(
            "CPM-01",
            "inconclusive",
            "features/cpm.feature",
            reason="reference issuer did not answer within 5 s",
        ),
        _scenario(
            "CPM-02",
            "not_applicable",
            "features/cpm.feature",
            steps=[],
            transcript=None,
            passive=None,
            reason="SUT does not play the switch role",
        ),
    ]
    return {
        "schema": "qrinterop-report/1",
        "run": {
            "id": "20261125T180102Z-3f2a",
            "started": "2026-11-25T18:01:02.123+08:00",
            "finished": "2026-11-25T18:01:05.456+08:00",
            "duration_s": 3.33,
            "command": "qrinterop certify",
            "selection": None,
            "harness": {"name": "qrinterop", "version": "0.1.0", "commit": None},
            "profile": {
                "id": "cn-interconnect",
                "version": "1.0",
                "title": {"en": "Interconnection profile", "zh": "互联互通测试规范"},
            },
            "sut": {
                "id": "10000001",
                "name": "Reference institution A",
                "roles": ["issuer", "acquirer"],
                "launch": "reference",
                "defects": [],
            },
            "environment": {"python": "3.11.7", "platform": "Linux-x86_64"},
        },
        "verdict": "not-conformant",
        "verdict_reason": "1 of 3 applicable scenarios failed.",
        "summary": {"pass": 1, "fail": 1, "inconclusive": 1, "error": 0, "waived": 0,
                    "not_applicable": 1},
        "requirements": [
            _requirement("R-SEC-02", "fail", ["SEC-01", "SEC-02", "CPM-01", "CPM-02"]),
            _requirement("R-CPM-03", "untested", []),
        ],
        "scenarios": scenarios,
        "waivers": [],
    }


@pytest.fixture
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@pytest.fixture
def html(report: dict[str, Any], tmp_path: pathlib.Path) -> str:
    path = tmp_path / "report.html"
    write_html(report, path)
    return path.read_text(encoding="utf-8")


class _UrlCollector(HTMLParser):
    """Collects src/href attribute values and whether any <script> element exists."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.scripts += tag == "script"
        self.urls += [value or "" for name, value in attrs if name in ("src", "href")]


def test_schema_accepts_sample_report(validator: Draft202012Validator, report: dict) -> None:
    assert list(validator.iter_errors(report)) == []


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda r: r["scenarios"][0].update(verdict="passed"), id="unknown-verdict"),
        pytest.param(lambda r: r.update(verdict="conformant-ish"), id="unknown-run-verdict"),
        pytest.param(lambda r: r.update(extra=1), id="extra-top-level-key"),
        pytest.param(lambda r: r["summary"].update(skipped=0), id="extra-summary-key"),
        pytest.param(lambda r: r["scenarios"][0].pop("rerun"), id="missing-rerun"),
        pytest.param(lambda r: r["requirements"][0].update(note="x"), id="extra-requirement-key"),
        pytest.param(lambda r: r["scenarios"][0]["steps"][0].update(status="ok"), id="step-status"),
    ],
)
def test_schema_rejects_invalid_report(
    validator: Draft202012Validator, report: dict, mutate: Any
) -> None:
    broken = copy.deepcopy(report)
    mutate(broken)
    assert list(validator.iter_errors(broken)) != []


def test_schema_leaves_sut_and_environment_open(
    validator: Draft202012Validator, report: dict
) -> None:
    report["run"]["sut"]["image"] = "registry.invalid/sut:1"
    report["run"]["environment"]["docker"] = "27.0"
    assert list(validator.iter_errors(report)) == []


def test_html_shows_verdict_ids_and_failure(html: str, report: dict) -> None:
    assert report["verdict"] in html
    assert report["verdict_reason"] in html
    for scenario in report["scenarios"]:
        assert f'id="{scenario["id"]}"' in html
    for requirement in report["requirements"]:
        assert requirement["id"] in html
    assert "expected respCode 72, observed 00" in html
    assert "Then the issuer declines the purchase" in html
    assert "SUT does not play the switch role" in html
    assert "body.amount: &#39;x&#39; is not of type &#39;integer&#39;" in html
    assert "<code>qrinterop certify --tags tc.SEC-02</code>" in html
    assert 'href="transcripts/SEC-01.jsonl"' in html


def test_html_escapes_injected_markup(html: str) -> None:
    assert INJECTED not in html
    assert "&lt;script&gt;" in html
    parser = _UrlCollector()
    parser.feed(html)
    assert parser.scripts == 0


def test_html_has_no_external_urls(html: str) -> None:
    parser = _UrlCollector()
    parser.feed(html)
    assert parser.urls, "expected transcript and anchor links"
    external = [url for url in parser.urls if url.lower().startswith(("http:", "https:", "//"))]
    assert external == []
    assert "http://" not in html and "https://" not in html


def test_junit_counts(report: dict, tmp_path: pathlib.Path) -> None:
    path = tmp_path / "junit.xml"
    write_junit(report, path)
    root = ET.parse(path).getroot()

    assert root.tag == "testsuites"
    assert {k: root.get(k) for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": "4",
        "failures": "1",
        "errors": "1",
        "skipped": "1",
    }
    assert float(root.get("time", "")) == pytest.approx(2.0)

    suites = {suite.get("name"): suite for suite in root.findall("testsuite")}
    assert list(suites) == ["features/security.feature", "features/cpm.feature"]
    security, cpm = suites.values()
    assert (security.get("tests"), security.get("failures"), security.get("errors")) == (
        "2",
        "1",
        "0",
    )
    assert (cpm.get("tests"), cpm.get("errors"), cpm.get("skipped")) == ("2", "1", "1")


def test_junit_testcase_elements(report: dict, tmp_path: pathlib.Path) -> None:
    path = tmp_path / "junit.xml"
    write_junit(report, path)
    cases = {case.get("name"): case for case in ET.parse(path).getroot().iter("testcase")}

    passed = cases["SEC-01 Scenario SEC-01"]
    assert passed.get("classname") == "features/security.feature"
    assert passed.get("time") == "0.500"
    assert list(passed) == []

    failure = cases["SEC-02 Scenario SEC-02"].find("failure")
    assert failure is not None
    assert failure.get("message") == f"expected respCode 72, observed 00 {INJECTED}"
    assert "qrinterop certify --tags tc.SEC-02" in (failure.text or "")

    error = cases["CPM-01 Scenario CPM-01"].find("error")
    assert error is not None and error.get("type") == "inconclusive"

    skipped = cases["CPM-02 Scenario CPM-02"].find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "SUT does not play the switch role"


def test_junit_survives_control_characters(report: dict, tmp_path: pathlib.Path) -> None:
    report["scenarios"][1]["failure"]["message"] = "raw bytes \x00\x1b from the SUT"
    path = tmp_path / "junit.xml"
    write_junit(report, path)
    assert ET.parse(path).getroot().get("failures") == "1"


# -- the wire form of a QRC run's messages ---------------------------------------------------
def _qrc_record() -> dict[str, Any]:
    """A transcript record of a cpm.purchase request as it travelled in the QRC binding."""
    from qrinterop.profile import load_profile
    from qrinterop.protocol.bindings import binding
    from qrinterop.protocol.crypto import SM2_ALGORITHM, SigningKey
    from qrinterop.protocol.envelope import Party, seal

    wire = binding("unionpay-qrc", load_profile())
    body = {"code": "991038********0070", "amount": 3000, "currency": "156",
            "merchant": {"id": "100000000000000", "name": "最佳运输", "mcc": "5411",
                         "city": "SHANGHAI"}, "termId": "TB000001",
            "orderNo": "P20261204112403044920", "orderTime": "20261204112403",
            "termInfo": {"deviceType": "11", "deviceIp": "127.0.0.1"}}
    message = seal(Party("10000002", SigningKey.generate(SM2_ALGORITHM)),
                   "cpm.purchase.request", "90000000", body, signer=wire,
                   leg="request.to-switch")
    return {"n": 6, "time": "2026-12-04T11:24:03.694+08:00", "pco": "switch",
            "from": "10000002", "to": "90000000", "kind": "request", "leg": "to-switch",
            "msg_type": "cpm.purchase.request",
            "content": wire.evidence(message, "request.to-switch")}


def test_html_shows_a_qrc_message_on_the_wire_beside_the_abstract_one(
        report: dict, tmp_path: pathlib.Path) -> None:
    """Each hop of a QRC transcript: the form's text as sent, its fields one per line, the
    base64 sub-structure decoded beside its value, next to the abstract message; a JSON
    transcript's scenario shows nothing more than before."""
    record = _qrc_record()
    (tmp_path / "transcripts").mkdir()
    (tmp_path / "transcripts" / "SEC-01.jsonl").write_text(
        json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    (tmp_path / "transcripts" / "SEC-02.jsonl").write_text(json.dumps(
        {**record, "content": {k: v for k, v in record["content"].items() if k != "wire"}})
        + "\n", encoding="utf-8")
    report["scenarios"][1]["failure"]["messages"] = [
        {key: record[key] for key in ("n", "time", "from", "to", "msg_type", "content")}]
    write_html(report, tmp_path / "report.html")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    wire = record["content"]["wire"]
    text = wire["text"].replace("&", "&amp;")
    assert html.count(text) == 2            # SEC-01's hops, and SEC-02's failure
    assert html.count("Messages on the wire, 1") == 1       # SEC-02's transcript is JSON
    section = html[html.index('id="SEC-01"'):html.index('id="SEC-02"')]
    assert "<code>reqType</code>" in section and "<code>0310000903</code>" in section
    assert f"<code>{wire['fields']['termInfo']}</code>" in section
    assert "<code>deviceType=11</code>" in section
    assert "<code>terminalIp=127.0.0.1</code>" in section
    assert "&#34;msgType&#34;: &#34;cpm.purchase.request&#34;" in section
    assert "&#34;wire&#34;" not in html     # the abstract message is shown without it
    parser = _UrlCollector()
    parser.feed(html)
    assert parser.scripts == 0
    assert not [url for url in parser.urls if url.lower().startswith(("http", "//"))]


def test_a_json_run_report_is_unchanged_by_its_transcripts(
        report: dict, tmp_path: pathlib.Path) -> None:
    from qrinterop.report.html import render_html

    record = _qrc_record()
    (tmp_path / "transcripts").mkdir()
    (tmp_path / "transcripts" / "SEC-01.jsonl").write_text(json.dumps(
        {**record, "content": {k: v for k, v in record["content"].items() if k != "wire"}})
        + "\n", encoding="utf-8")
    write_html(report, tmp_path / "report.html")
    assert (tmp_path / "report.html").read_text(encoding="utf-8") == render_html(report)


def test_a_scenario_shows_its_first_hops_on_the_wire_and_counts_the_rest(
        report: dict, tmp_path: pathlib.Path) -> None:
    from qrinterop.report.wire import MOST_HOPS

    record = _qrc_record()
    (tmp_path / "transcripts").mkdir()
    (tmp_path / "transcripts" / "SEC-01.jsonl").write_text("".join(
        json.dumps({**record, "n": n}, ensure_ascii=False) + "\n"
        for n in range(1, MOST_HOPS + 4)), encoding="utf-8")
    write_html(report, tmp_path / "report.html")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert f"Messages on the wire, {MOST_HOPS}:" in html
    assert html.count('class="hop"') == MOST_HOPS and "… and 3 more in the transcript" in html
