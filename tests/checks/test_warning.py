"""The WARNING outcome from a recorded transcript to a scenario's verdict: VEC-SAMPLE-6 (a
published Pix code, dynamic without an amount: the vectors' result ``acceptable``), which the
reference wallet reads leniently and asks the switch about. The check warns under the
vector's requirement (R-MPM-14); ``verify`` keeps the warning and lets the scenario go on;
the scenario ends ``warning`` and a run of such scenarios is still conformant."""

from __future__ import annotations

from types import SimpleNamespace

from qrinterop.checks import wire
from qrinterop.cli.lint import lint_text, routing_table
from qrinterop.codes.findings import LENIENT
from qrinterop.judging.verdicts import (
    ScenarioResult,
    run_verdict,
    scenario_verdict,
    warning_record,
)
from qrinterop.runner.bdd.vocabulary import verify
from tests.checks.recorded import SUT, transcript

TAGS = ["R-CERT-03", "R-FLOW-01"]       # VEC-SAMPLE-<tcId>'s @req tags


def test_an_acceptable_code_passed_on_ends_the_scenario_in_warning():
    recorded = transcript("VEC-SAMPLE-6.reference")
    code = recorded[0].content["code"]
    context = SimpleNamespace(session=SimpleNamespace(warnings=[], naming_scenarios=list))
    verify(context, wire.code_carried(recorded, SUT, "mpm.inquiry.request", code,
                                      lint_text(code, routing_table(), LENIENT).findings))
    (warning,) = context.session.warnings                  # kept, and no CheckFailed raised
    record = warning_record(warning, TAGS)
    assert (record["check"], record["requirements"]) == ("code_passed_on", ["R-MPM-14"])
    verdict, reason = scenario_verdict(None, 0, 0, len(context.session.warnings))
    assert verdict == "warning" and "advises against" in reason
    results = [ScenarioResult(sid, sid, "features/code_vectors.feature", [], TAGS, v, 0.1,
                              None, "", [], warnings=w)
               for sid, v, w in [("VEC-SAMPLE-1", "pass", []),
                                 ("VEC-SAMPLE-6", verdict, [record])]]
    assert run_verdict(results, [])[0] == "conformant"
