"""The status-query schedule and the earliest reversal, on transcripts recorded against the
reference institution and its variants query-too-early, pending-as-declined,
reverse-without-querying and never-reverse (mocks/defects.json); each reversal style judged
by its own rule (REV-04: the reference declaring query-before-reversal, and the variants
reverse-without-querying and query-first-on-unionpay-schedule, which declare it too)."""

import pytest

from qrinterop.checks.correlation import of_purchase, of_type
from qrinterop.checks.timing import (
    QUERY_FIRST_FEATURE,
    QUERY_FIRST_SCHEDULE,
    first_query_delay,
    queried_first_on_schedule,
    queried_then_reversed,
    queries_if_any_paced,
    query_schedule,
    reversal_earliest,
    reversal_judged,
    reversed_when_unknown,
)
from qrinterop.profile import load_profile, profile_folder
from tests.checks.recorded import order_of, transcript

SUT = "10000001"
SCALE = 0.1                     # the reference ICS's timing_scale, as the runs were made
PROFILE = load_profile()
FIRST_DELAY = PROFILE.seconds("query_first_delay_s", SCALE)
EARLIEST = PROFILE.seconds("reversal_earliest_s", SCALE)
GRACE = PROFILE.seconds("observation_grace_s", SCALE)
SCHEDULE = PROFILE.schedules["status_query"]
DELAYS = [delay * SCALE for delay in SCHEDULE["delays_s"]]
WECHAT = PROFILE.schedules[QUERY_FIRST_SCHEDULE]
WECHAT_DELAYS = [delay * SCALE for delay in WECHAT["delays_s"]]
OLD_SCHEDULES = load_profile(profile_folder("cn-interconnect/1.0")).schedules


def purchase(scenario: str, variant: str = "reference"):
    found = transcript(f"{scenario}.{variant}")
    return of_purchase(found, SUT, order_of(found, SUT))


@pytest.mark.parametrize("scenario", ["CPM-05", "REV-01"])
def test_the_reference_waits_before_its_first_query(scenario):
    assert first_query_delay(purchase(scenario), FIRST_DELAY) == []


def test_a_query_sent_at_once_is_too_early():
    [found] = first_query_delay(purchase("CPM-05", "query-too-early"), FIRST_DELAY)
    assert (found.check, found.requirements) == ("first_query_delay", ("R-FLOW-04",))
    assert found.expected == "no sooner than 0.1 s"
    assert float(found.observed.removesuffix(" s")) < FIRST_DELAY


def test_a_purchase_never_queried_is_found():
    [found] = first_query_delay(purchase("CPM-05", "pending-as-declined"), FIRST_DELAY)
    assert (found.what, found.expected, found.observed) == (
        "SUT's status queries", "at least one cpm.status_query", "none")


def test_the_reference_queries_on_the_schedule_then_reverses():
    exchanges = purchase("REV-01")
    assert query_schedule(exchanges, DELAYS, SCHEDULE["max_attempts"]) == []
    assert queried_then_reversed(exchanges) == []
    assert reversal_earliest(exchanges, EARLIEST, GRACE) == []


def test_queries_that_do_not_wait_break_the_schedule():
    """...and that alone: the variant reverses after its queries."""
    exchanges = purchase("REV-01", "query-too-early")
    assert queried_then_reversed(exchanges) == []
    found = query_schedule(exchanges, DELAYS, SCHEDULE["max_attempts"])
    assert found and {v.requirements for v in found} == {("R-FLOW-04",)}
    assert found[0].what == "wait before query 1"
    assert found[0].expected == "no sooner than 0.1 s"


def test_a_reversal_without_queries_is_found_under_the_reversal_requirement():
    exchanges = purchase("REV-01", "reverse-without-querying")
    [found] = queried_then_reversed(exchanges)
    assert (found.check, found.requirements) == ("queried_then_reversed", ("R-FLOW-03",))
    assert found.observed == "a reversal before any status query"
    [count] = query_schedule(exchanges, DELAYS, SCHEDULE["max_attempts"])
    assert (count.expected, count.observed) == ("6", "0")


def test_a_purchase_never_reversed_is_found():
    exchanges = purchase("REV-01", "never-reverse")
    [found] = queried_then_reversed(exchanges)
    assert (found.expected, found.observed) == ("a cpm.reversal after the last status query",
                                                "none")
    assert reversal_earliest(exchanges, EARLIEST, GRACE) == []     # nothing to time


def test_a_reversal_sooner_than_the_profile_allows_is_found():
    """The reference's own reversal, held to a profile whose earliest reversal is later."""
    [found] = reversal_earliest(purchase("REV-01"), 100.0, GRACE)
    assert (found.check, found.requirements) == ("reversal_earliest", ("R-FLOW-03",))
    assert (found.what, found.expected) == ("reversal after the purchase",
                                            "no sooner than 100 s")


def test_a_reversal_seen_a_little_early_is_within_the_grace():
    """Both messages are timed by arrival: a reversal sent on the dot may be seen a few
    milliseconds short of the earliest (the query-too-early variant's, 1.494 s of 1.5)."""
    exchanges = purchase("REV-01")
    waited = of_type(exchanges, "cpm.reversal")[0].request.at - exchanges[0].request.at
    assert reversal_earliest(exchanges, waited + GRACE / 2, GRACE) == []
    assert reversal_earliest(exchanges, waited + 2 * GRACE, GRACE) != []


def _query_first(exchanges):
    return queried_first_on_schedule(exchanges, WECHAT_DELAYS, WECHAT["max_attempts"],
                                     EARLIEST, GRACE)


def test_unionpay_lets_an_acquirer_reverse_without_querying():
    """R-FLOW-03 in 1.1: reversed, queried first or not; such queries as there are paced."""
    for variant in ("reference", "reverse-without-querying"):
        exchanges = purchase("REV-01", variant)
        assert reversed_when_unknown(exchanges) == []
        assert queries_if_any_paced(exchanges, DELAYS, SCHEDULE["max_attempts"]) == []
    [found] = reversed_when_unknown(purchase("REV-01", "never-reverse"))
    assert (found.check, found.requirements, found.observed) == (
        "reversed_when_unknown", ("R-FLOW-03",), "none")


def test_queries_sent_early_are_found_even_where_querying_is_optional():
    found = queries_if_any_paced(purchase("REV-01", "query-too-early"), DELAYS,
                                 SCHEDULE["max_attempts"])
    assert found and {v.requirements for v in found} == {("R-FLOW-04",)}
    assert found[0].what == "wait before query 1"


def test_the_reference_declaring_query_first_keeps_wechats_schedule():
    assert _query_first(purchase("REV-04")) == []


@pytest.mark.parametrize("variant, check, observed", [
    ("reverse-without-querying", "queried_then_reversed", "a reversal before any status query"),
    ("query-first-on-unionpay-schedule", "query_schedule", "6"),
])
def test_a_declared_query_first_style_not_kept_is_found_under_its_requirement(variant, check,
                                                                             observed):
    found = _query_first(purchase("REV-04", variant))
    assert {v.requirements for v in found} == {("R-FLOW-18",)}
    assert (found[0].check, found[0].observed) == (check, observed)


def test_unionpays_back_off_is_too_quick_for_a_declared_query_first_style():
    """The reference's UnionPay-style run, held to WeChat's schedule: its first query comes
    before WeChat's 5 s (scaled)."""
    found = _query_first(purchase("REV-01"))
    assert any(v.what == "wait before query 1" for v in found)
    assert {v.requirements for v in found} == {("R-FLOW-18",)}


@pytest.mark.parametrize("declared, schedules, variant, requirements", [
    ({QUERY_FIRST_FEATURE}, PROFILE.schedules, "REV-04.reference", set()),
    ({QUERY_FIRST_FEATURE}, PROFILE.schedules, "REV-04.reverse-without-querying",
     {("R-FLOW-18",)}),
    (set(), PROFILE.schedules, "REV-01.reverse-without-querying", set()),
    (set(), PROFILE.schedules, "REV-01.never-reverse", {("R-FLOW-03",)}),
    (set(), OLD_SCHEDULES, "REV-01.reference", set()),
    (set(), OLD_SCHEDULES, "REV-01.reverse-without-querying", {("R-FLOW-03",), ("R-FLOW-04",)}),
    ({QUERY_FIRST_FEATURE}, OLD_SCHEDULES, "REV-01.reference", set()),
])
def test_each_style_is_judged_by_its_own_rule(declared, schedules, variant, requirements):
    """1.1: the declared query-first style by WeChat's schedule, none by UnionPay's rule;
    1.0 (no query-first schedule): query on the schedule, then reverse, whatever is declared."""
    scenario, sut = variant.split(".", 1)
    found = reversal_judged(purchase(scenario, sut), schedules, declared, SCALE, EARLIEST, GRACE)
    assert {v.requirements for v in found} == requirements
