"""selftest certifies a variant twice when the first result is not the expected one, and
keeps the first attempt in the matrix: a flaky scenario is reported, not hidden, and a real
miss is still a miss. The certifications are stand-ins here (the real selftest runs in
test_certify_e2e); what is under test is the bookkeeping around them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from qrinterop.judging.selftest import Blame, Grounds, breaks_of
from qrinterop.report.conformance import caught, rechecked
from qrinterop.runner import selftest as selftest_module
from qrinterop.runner.bdd.suite import locate

SUITE = locate()
DEFECTS = SUITE.defects()
REFERENCES = {SUITE.mocks / spec["ics"]: spec for spec in SUITE.references().values()}


class Threads(ThreadPoolExecutor):
    def __init__(self, max_workers: int, mp_context: object) -> None:
        super().__init__(max_workers)


def as_expected(defect, ics, run_dir, _base_port, _tags, _binding=None):
    spec = DEFECTS[defect] if defect else REFERENCES[ics]
    failed, breaks = spec.get("caught_by", []), breaks_of(spec)
    found = Grounds(tuple(Blame(s, "a_check", breaks) for s in failed),
                    dict.fromkeys(breaks, "fail"))
    return spec["expect"], failed, failed, run_dir, found


@pytest.fixture
def certifications(monkeypatch):
    """Each variant's certifications in order; ``flaky`` ones come out wrong the first time,
    ``broken`` ones every time."""
    calls: dict[str | None, list[str]] = {}
    flaky, broken = {"void-twice", "reference-ics"}, {"skip-crc-check"}

    def certify(defect, ics, run_dir, base_port, tags, _binding=None, _capacity=False):
        attempts = calls.setdefault(defect or ics.stem, [])     # a reference by its ICS
        attempts.append(run_dir.name)
        if defect in broken or ((defect or ics.stem) in flaky and len(attempts) == 1):
            return "inconclusive", [], [], run_dir
        return as_expected(defect, ics, run_dir, base_port, tags)

    monkeypatch.setattr(selftest_module, "ProcessPoolExecutor", Threads)
    monkeypatch.setattr(selftest_module, "_certify_variant", certify)
    return calls


def test_a_variant_wrong_once_is_certified_again_and_the_first_attempt_kept(
        certifications, tmp_path):
    result = selftest_module.selftest(out=tmp_path, jobs=2)
    rows = {v.name: v for v in result.variants}
    assert certifications["void-twice"] == ["void-twice", "void-twice-retry"]
    assert certifications["skip-signature-check"] == ["skip-signature-check"]
    assert rows["void-twice"].ok and rows["void-twice"].retried["verdict"] == "inconclusive"
    assert rows["reference institution"].ok and rows["reference institution"].retried
    assert rows["skip-signature-check"].retried is None
    assert caught(rows["void-twice"]) == "yes, on retry (first: inconclusive)"


def test_a_variant_wrong_twice_is_missed(certifications, tmp_path):
    result = selftest_module.selftest(out=tmp_path, jobs=2)
    missed = [v for v in result.variants if not v.ok]
    assert [v.name for v in missed] == ["skip-crc-check"] and not result.ok
    assert certifications["skip-crc-check"] == ["skip-crc-check", "skip-crc-check-retry"]
    assert caught(missed[0]) == "**NO**"


@pytest.fixture
def a_scenario_that_passes_once(monkeypatch):
    """RSP-31 runs against terminal-queries-declines and passes there: on its own, the second
    time, it fails if ``fails_alone``."""
    calls: list[str | None] = []
    state = {"fails_alone": True}

    def certify(defect, ics, run_dir, base_port, tags, _binding=None, _capacity=False):
        verdict, failed, ran, run_dir, found = as_expected(defect, ics, run_dir, base_port,
                                                           tags)
        if defect != "terminal-queries-declines":
            return verdict, failed, ran, run_dir, found
        calls.append(tags)
        if tags == "@tc.RSP-31":
            return verdict, ["RSP-31"] if state["fails_alone"] else [], ["RSP-31"], run_dir
        return verdict, failed, [*ran, "RSP-31"], run_dir, found

    monkeypatch.setattr(selftest_module, "ProcessPoolExecutor", Threads)
    monkeypatch.setattr(selftest_module, "_certify_variant", certify)
    return calls, state


def test_a_scenario_that_fails_only_the_second_time_is_reported_as_rechecked(
        a_scenario_that_passes_once, tmp_path):
    calls, _state = a_scenario_that_passes_once
    result = selftest_module.selftest(out=tmp_path, jobs=2)
    assert calls[1:] == ["@tc.RSP-31"]
    assert result.rechecked == {"RSP-31": ["terminal-queries-declines"]}
    assert result.never_failed == [] and result.ok
    assert rechecked(result) == "RSP-31 (against terminal-queries-declines)"


def test_a_scenario_that_passes_the_second_time_too_never_failed(
        a_scenario_that_passes_once, tmp_path):
    _calls, state = a_scenario_that_passes_once
    state["fails_alone"] = False
    result = selftest_module.selftest(out=tmp_path, jobs=2)
    assert result.never_failed == ["RSP-31"] and not result.ok
    assert result.as_dict()["rechecked"] == {}


def test_capacity_runs_come_alone_after_every_other_run(monkeypatch, tmp_path):
    """A capacity run measures the machine: the reference institution's (its scenarios and
    a capacity run) and each capacity defect's start once every other run has ended."""
    order: list[str] = []

    def certify(defect, ics, run_dir, base_port, tags, _binding=None, capacity=False):
        order.append(run_dir.name)
        return as_expected(defect, ics, run_dir, base_port, tags)

    monkeypatch.setattr(selftest_module, "ProcessPoolExecutor", Threads)
    monkeypatch.setattr(selftest_module, "_certify_variant", certify)
    selftest_module.selftest(out=tmp_path, jobs=4)
    capacity = [name for name, spec in DEFECTS.items() if selftest_module.by_capacity(spec)]
    assert capacity and order[-1 - len(capacity):] == ["reference-institution", *capacity]
