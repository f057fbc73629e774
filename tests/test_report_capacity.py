"""The capacity section of the report: its schema, its charts, its page and its JUnit suite.

They pin what a reviewer reads off a capacity run: the numbers against the limits, the rate
and latency drawn second by second (inline SVG, no script, nothing fetched), and a pipeline
that shows which capacity requirement failed and why."""

from __future__ import annotations

import json
import pathlib
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from qrinterop.report.charts import latency_chart, nice_ticks, rate_chart
from qrinterop.report.document import write_report
from qrinterop.report.html import render_html
from qrinterop.report.junit import build_junit
from tests.capacity_sample import capacity_only_report, failing_section, sample_section

SCHEMA_PATH = pathlib.Path(__file__).parents[1] / "qrinterop" / "report" / "report.schema.json"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def _errors(validator: Draft202012Validator, report: dict) -> list[str]:
    return [error.message for error in validator.iter_errors(report)]


# -- report.json ---------------------------------------------------------------------------
def test_the_schema_accepts_a_judged_section(validator: Draft202012Validator) -> None:
    assert _errors(validator, capacity_only_report(sample_section())) == []
    assert _errors(validator, capacity_only_report(failing_section())) == []


def test_the_schema_accepts_a_run_that_measured_nothing(
        validator: Draft202012Validator) -> None:
    section = sample_section()
    section.update(achieved_tps=0, requests=0, errors=0, error_rate=0, p50_ms=None,
                   p95_ms=None, p99_ms=None, by_kind={}, series=[], aborted="the SUT died",
                   verdict="inconclusive", reason="Capacity could not be judged: the SUT died.")
    assert _errors(validator, capacity_only_report(section)) == []


@pytest.mark.parametrize("mutate", [
    pytest.param(lambda c: c.pop("p99_ms"), id="missing-p99"),
    pytest.param(lambda c: c.update(verdict="passed"), id="unknown-verdict"),
    pytest.param(lambda c: c.update(speed=1), id="extra-key"),
    pytest.param(lambda c: c.pop("limits"), id="not-judged"),
    pytest.param(lambda c: c["series"][3].pop("tps"), id="row-without-tps"),
    pytest.param(lambda c: c["series"][3].update(t=1.5), id="row-t-not-a-second"),
    pytest.param(lambda c: c["series"][3].update(p99_ms="slow"), id="row-latency-text"),
    pytest.param(lambda c: c["stages"][0].pop("end_s"), id="stage-without-end"),
    pytest.param(lambda c: c["requirements"].update({"CAP-1": c["requirements"]["R-CAP-01"]}),
                 id="requirement-id"),
    pytest.param(lambda c: c["requirements"]["R-CAP-01"].pop("reason"), id="no-reason"),
    pytest.param(lambda c: c.update(error_samples=c["error_samples"] * 21), id="samples-over-20"),
    pytest.param(lambda c: c.update(conserved="yes"), id="conserved-not-boolean"),
    pytest.param(lambda c: c["by_kind"]["refund"].pop("errors"), id="kind-without-errors"),
])
def test_the_schema_refuses_a_broken_section(validator: Draft202012Validator,
                                             mutate: Any) -> None:
    report = capacity_only_report(sample_section())
    mutate(report["capacity"])
    assert _errors(validator, report) != []


# -- the charts ----------------------------------------------------------------------------
def _parsed(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def test_nice_ticks_are_round_and_cover_the_top() -> None:
    assert nice_ticks(431) == [0, 100, 200, 300, 400, 500]
    assert nice_ticks(2200) == [0, 500, 1000, 1500, 2000, 2500]
    assert nice_ticks(44.7) == [0, 10, 20, 30, 40, 50]
    assert nice_ticks(60, 10) == [0, 10, 20, 30, 40, 50, 60]
    assert nice_ticks(0) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]


def test_the_rate_chart_has_the_stages_and_both_lines() -> None:
    section = sample_section()
    root = _parsed(rate_chart(section["series"], section["stages"]))
    bands = [rect.get("data-stage") for rect in root.iter(f"{SVG}rect")]
    assert bands == ["ramp", "steady", "spike", "recover"]
    keys = [line.get("data-key") for line in root.iter(f"{SVG}polyline")]
    assert sorted(keys) == ["target_tps", "tps"]
    achieved = next(p for p in root.iter(f"{SVG}polyline") if p.get("data-key") == "tps")
    assert len((achieved.get("points") or "").split()) == 60
    texts = "".join(root.itertext())
    assert "spike" in texts and "峰值" in texts and "time (s)" in texts and "50" in texts


def test_the_latency_chart_draws_the_limit_dashed_above_the_lines() -> None:
    section = failing_section()
    root = _parsed(latency_chart(section["series"], section["stages"], 2000))
    limit = next(line for line in root.iter(f"{SVG}line") if line.get("class") == "limit")
    assert limit.get("stroke-dasharray")
    assert "p99 limit 2000 ms" in "".join(root.itertext())
    keys = {line.get("data-key") for line in root.iter(f"{SVG}polyline")}
    assert keys == {"p50_ms", "p99_ms"}


def test_a_second_without_latency_breaks_the_line_and_a_lone_point_shows() -> None:
    series = [{"t": t, "tps": 1.0, "errors": 0, "target_tps": 1.0, "p50_ms": 10.0,
               "p99_ms": None if t == 1 else 20.0} for t in range(3)]
    root = _parsed(latency_chart(series, [], None))
    p99 = [p for p in root.iter(f"{SVG}polyline") if p.get("data-key") == "p99_ms"]
    assert len(p99) == 2 and len(list(root.iter(f"{SVG}circle"))) == 2
    assert not [line for line in root.iter(f"{SVG}line") if line.get("class") == "limit"]


def test_an_empty_series_draws_axes_and_says_so() -> None:
    root = _parsed(rate_chart([], sample_section()["stages"]))
    assert list(root.iter(f"{SVG}polyline")) == []
    assert "no measurements" in "".join(root.itertext())
    _parsed(latency_chart([], [], 2000))


def test_a_single_point_is_a_dot() -> None:
    row = {"t": 0, "tps": 3.0, "errors": 0, "target_tps": 2.5, "p50_ms": 40.0, "p99_ms": 90.0}
    root = _parsed(rate_chart([row], []))
    assert len(list(root.iter(f"{SVG}circle"))) == 2


def test_a_stage_name_is_escaped() -> None:
    stages = [{"stage": '<b a="1">&', "start_s": 0, "end_s": 10, "from_tps": 1, "to_tps": 1}]
    root = _parsed(rate_chart([], stages))
    assert '<b a="1">&' in "".join(root.itertext())


# -- report.html ---------------------------------------------------------------------------
def test_a_capacity_only_page_shows_the_section_and_no_scenario_summary() -> None:
    html = render_html(capacity_only_report(failing_section()))
    assert html.count("<svg") == 2 and "<script" not in html
    assert 'id="capacity"' in html and "容量测试" in html
    assert "p99 2630 ms, above the limit 2000 ms" in html
    assert "timeout after 5.0 s &lt;on the spike&gt;" in html
    assert "cpm-purchase-sut-issuer" in html and "28.5 tps" in html
    assert "No scenarios ran" not in html and "Summary" not in html
    # Sources are links a reader may follow; nothing is fetched when the page opens.
    assert not re.search(r'(src|href)="https?://[^"]*\.(js|css|svg|png)"|url\(http', html)


def test_each_chart_in_the_page_is_well_formed() -> None:
    html = render_html(capacity_only_report(sample_section()))
    for chunk in html.split("<svg")[1:]:
        _parsed("<svg" + chunk[:chunk.index("</svg>")] + "</svg>")


def test_a_page_without_capacity_is_unchanged() -> None:
    report = capacity_only_report(sample_section())
    del report["capacity"]
    html = render_html(report)
    assert "<svg" not in html and "No scenarios ran" in html and "Summary" in html


# -- junit.xml, and the run's verdict --------------------------------------------------------
def test_junit_has_one_case_per_capacity_requirement() -> None:
    root = build_junit(capacity_only_report(failing_section()))
    suite = root.find("testsuite[@name='capacity']")
    assert suite is not None and (suite.get("tests"), suite.get("failures")) == ("5", "1")
    failure = suite.find("testcase[@classname='capacity']/failure")
    assert failure is not None
    assert failure.get("message") == "p99 2630 ms, above the limit 2000 ms"
    assert "rerun: qrinterop capacity --workers 2" in (failure.text or "")
    assert root.get("failures") == "1"


def test_a_capacity_run_writes_all_three(tmp_path: pathlib.Path,
                                         validator: Draft202012Validator) -> None:
    write_report(capacity_only_report(failing_section()), tmp_path)
    written = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert _errors(validator, written) == [] and written["verdict"] == "not-conformant"
    assert "R-CAP-02" in (tmp_path / "junit.xml").read_text(encoding="utf-8")
    assert "<svg" in (tmp_path / "report.html").read_text(encoding="utf-8")
