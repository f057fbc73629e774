"""checks/consistency.py on recorded transcripts: response codes outside the profile's table
(the issuer that answers insufficient funds with 51, the terminal that books a timeout under
an invented 98) and amounts that change within one payment (the issuer that takes 4.35
through a float and answers 4.34), each held against the party that brought it and never
against the simulators that relayed it; checks/pacing.py: every status query on the
profile's schedule (a wallet or a terminal querying at once); and, through
``passive_findings``, the same findings in report.json's shape on every scenario."""

from __future__ import annotations

from dataclasses import replace

import pytest

from qrinterop.checks.consistency import (
    changed_fields_found,
    codes_in_table,
    fields_agree,
    payments,
    unknown_codes_found,
)
from qrinterop.checks.pacing import paced_found, queries_paced
from qrinterop.checks.passive import passive_findings
from qrinterop.checks.record import Record
from qrinterop.profile import load_profile
from qrinterop.protocol.keyring import KeyRing
from tests.checks.recorded import SUT, SWITCH, transcript

PROFILE = load_profile()
GOOD = ["CPM-01.reference", "CPM-05.reference", "CPM-06.reference", "CPM-08.reference",
        "CPM-09.reference", "FLT-01-drop-answer.reference", "FLT-01-answer-code.reference",
        "MPM-01.reference", "REV-01.reference", "NTF-01.reference", "SW-06.reference-switch"]


@pytest.mark.parametrize("name", GOOD)
def test_the_references_use_the_table_and_keep_their_amounts(name):
    recorded = transcript(name)
    assert codes_in_table(PROFILE, recorded) == []
    assert fields_agree(recorded) == []


@pytest.mark.parametrize(("name", "record", "code"), [
    ("CPM-06.insufficient-funds-51", 8, "'51'"),            # the issuer's purchase answer
    ("FLT-01-drop-answer.timeout-invented-code", 10, "'98'"),  # the terminal's booking
])
def test_a_code_outside_the_table_is_held_against_who_used_it_first(name, record, code):
    found = unknown_codes_found(PROFILE, transcript(name))
    assert [(r.n, r.sender, v.observed) for r, v in found] == [(record, SUT, code)]
    violations = codes_in_table(PROFILE, transcript(name))
    assert [v.requirements for v in violations] == [("R-MSG-01",)]


def test_the_switch_relaying_a_code_is_not_blamed_for_it():
    recorded = transcript("CPM-06.insufficient-funds-51")
    answer = next(r for r in recorded if r.n == 8)
    relay = replace(answer, sender=SWITCH, receiver="10000002", leg="from-switch",
                    at=answer.at + 0.01, n=9)
    found = unknown_codes_found(PROFILE, [*recorded, relay])
    assert [(r.n, r.sender) for r, _ in found] == [(8, SUT)]


def test_records_spoilt_on_purpose_are_not_judged_nor_their_relays():
    recorded = transcript("CPM-06.insufficient-funds-51")
    answer = next(r for r in recorded if r.n == 8)
    relay = replace(answer, sender=SWITCH, receiver="10000002", leg="from-switch",
                    at=answer.at + 0.01, n=9)
    spoilt = [replace(r, deliberate=True) if r.n == 8 else r for r in [*recorded, relay]]
    assert codes_in_table(PROFILE, spoilt) == []
    recorded = [replace(r, deliberate=True) if r.n == 8 else r
                for r in transcript("CPM-08.issuer-amount-via-float-yuan")]
    assert fields_agree(recorded) == []


def test_an_answer_with_another_amount_is_held_against_the_issuer():
    found = changed_fields_found(transcript("CPM-08.issuer-amount-via-float-yuan"))
    assert [(r.n, r.sender, v.expected.split(",")[0], v.observed) for r, v in found] == \
        [(8, SUT, "435", "434")]
    assert [v.requirements for v in fields_agree(
        transcript("CPM-08.issuer-amount-via-float-yuan"))] == [("R-FLOW-12",)]


def test_the_messages_of_one_payment_are_found_together():
    groups = payments(transcript("CPM-08.reference"))
    assert len(groups) == 2             # two purchases, 4.35 and 0.29
    assert [sorted({r.body.get("amount") for r in g if r.is_message} - {None})
            for g in groups] == [[435], [29]]


def _purchase(sender: str, order_no: str, amount: int, at: float) -> Record:
    return Record(at=at, sender=sender, receiver=SWITCH, msg_type="cpm.purchase.request",
                  kind="request", leg="to-switch",
                  content={"body": {"orderNo": order_no, "amount": amount, "currency": "156"}})


def test_two_acquirers_numbering_alike_are_two_payments():
    # Order numbers are each acquirer's own: two may coincide, one payment is not made of both.
    both = [_purchase(SUT, "P20261204000000000001", 3000, 1.0),
            _purchase("10000002", "P20261204000000000001", 50000, 2.0)]
    assert len(payments(both)) == 2
    assert fields_agree(both) == []


def test_passive_findings_carry_them_under_their_requirements():
    # Trimmed transcripts lost their signatures (R-SEC-01, and R-MSG-01 for the schema):
    # only this module's findings are looked at.
    def ours(name: str) -> list[tuple]:
        findings = passive_findings(PROFILE, transcript(name), KeyRing())
        return [(f["requirement"], f["record"], f["sender"]) for f in findings
                if f["requirement"] == "R-FLOW-12" or "response-code table" in f["message"]]
    assert ours("CPM-08.issuer-amount-via-float-yuan") == [("R-FLOW-12", 8, SUT)]
    assert ours("CPM-06.insufficient-funds-51") == [("R-MSG-01", 8, SUT)]
    assert ours("CPM-08.reference") == []


# -- pacing.py: every status query on the schedule ---------------------------------------------
SCHEDULE = PROFILE.schedules["status_query"]
SCALED = [delay * 0.1 for delay in SCHEDULE["delays_s"]]        # the reference's timing_scale


@pytest.mark.parametrize("name", ["CPM-05.reference", "REV-01.reference", "RSP-W04.reference",
                                  "FLT-01-drop-answer.reference"])
def test_the_references_query_on_the_schedule(name):
    assert queries_paced(transcript(name), SCALED, SCHEDULE["max_attempts"]) == []


@pytest.mark.parametrize(("name", "first"), [
    ("RSP-W04.wallet-queries-at-once", "mpm.payment_query"),    # a wallet's MPM payment
    ("REV-01.query-too-early", "cpm.status_query"),             # a terminal's purchase
])
def test_a_query_too_soon_is_held_against_its_sender(name, first):
    found = paced_found(transcript(name), SCALED, SCHEDULE["max_attempts"])
    assert found and {r.sender for r, _ in found} == {SUT}
    assert found[0][1].what.startswith(first) and "query 1" in found[0][1].what
    assert {v.requirements for v in queries_paced(transcript(name), SCALED, 6)} == \
        {("R-FLOW-04",)}


def test_queries_beyond_the_schedule_count_are_findings():
    found = paced_found(transcript("REV-01.reference"), [0.0] * 6, 2)
    assert [v.what.rsplit(": ", 1)[1] for _, v in found] == [f"query {n}" for n in range(3, 7)]


def test_passive_findings_judge_pacing_only_given_the_runs_timing_scale():
    recorded = transcript("REV-01.query-too-early")
    assert not [f for f in passive_findings(PROFILE, recorded, KeyRing())
                if f["requirement"] == "R-FLOW-04"]
    assert {(f["requirement"], f["sender"]) for f in passive_findings(
        PROFILE, recorded, KeyRing(), 0.1) if f["requirement"] == "R-FLOW-04"} == \
        {("R-FLOW-04", SUT)}


def test_an_acquirer_declaring_query_first_is_paced_by_its_own_schedule():
    """WeChat's schedule (timing.json query_before_reversal) for the CPM purchases of the
    acquirer that declares query-before-reversal; UnionPay's for everyone else."""
    recorded = transcript("REV-04.query-first-on-unionpay-schedule")
    assert passive_pacing(recorded, frozenset()) == []
    found = passive_pacing(recorded, frozenset({SUT}))
    assert found and {f["sender"] for f in found} == {SUT}
    assert any("query 1" in f["message"] for f in found)
    assert any("expected at most 4" in f["message"] for f in found)
    assert passive_pacing(transcript("REV-04.reference"), frozenset({SUT})) == []


def passive_pacing(recorded, query_first: frozenset[str]) -> list[dict]:
    return [f for f in passive_findings(PROFILE, recorded, KeyRing(), 0.1, query_first)
            if f["requirement"] == "R-FLOW-04"]
