"""When an acquirer may query and reverse a purchase whose outcome it does not know: the
profile's status-query schedule (timing.json ``schedules.status_query``: the first query
``query_first_delay_s`` after the unknown answer, each next one its delay after the answer
before it, ``max_attempts`` of them) and its earliest reversal (``reversal_earliest_s``
after the purchase). Each style is judged by its own rule (``reversal_judged``): an acquirer
declaring query-before-reversal by WeChat's query-first schedule (R-FLOW-18), one declaring
nothing by UnionPay's (reverse, queried first or not, R-FLOW-03), and, under a profile that
knows no such option (1.0), by "query on the schedule, then reverse". Times are as the
point of observation saw them; the waits are the profile's as the test environment runs
them (scaled), given by the caller.
"""

from __future__ import annotations

from dataclasses import replace

from qrinterop.checks.correlation import Exchange, of_type
from qrinterop.checks.outcome import Violation, check, unequal, unless

PURCHASE, QUERY, REVERSAL = "cpm.purchase", "cpm.status_query", "cpm.reversal"

#: The ICS feature of the query-first style and its schedule in timing.json.
QUERY_FIRST_FEATURE, QUERY_FIRST_SCHEDULE = "query-before-reversal", "query_before_reversal"


def _purchase(exchanges: list[Exchange]) -> Exchange | None:
    return next(iter(of_type(exchanges, PURCHASE)), None)


def _no_purchase() -> list[Violation]:
    return [Violation("SUT's purchase", "a cpm.purchase.request", "none")]


def _no_sooner(what: str, waited: float, wait_s: float) -> list[Violation]:
    return unless(waited >= wait_s, what, f"no sooner than {wait_s:g} s", f"{waited:.3f} s")


@check("R-FLOW-04")
def first_query_delay(exchanges: list[Exchange], first_delay_s: float) -> list[Violation]:
    """The purchase is queried, first no sooner than ``first_delay_s`` after its answer
    (after the purchase itself when no answer was seen). ``exchanges``: the purchase's
    (``correlation.of_purchase``)."""
    purchase, queries = _purchase(exchanges), of_type(exchanges, QUERY)
    if purchase is None:
        return _no_purchase()
    if not queries:
        return [Violation("SUT's status queries", "at least one cpm.status_query", "none")]
    return _no_sooner("first status query after the purchase's answer",
                      queries[0].request.at - purchase.settled_at, first_delay_s)


@check("R-FLOW-04")
def query_schedule(exchanges: list[Exchange], delays_s: list[float],
                   max_attempts: int) -> list[Violation]:
    """As many status queries as the schedule allows, each no sooner than its delay after
    the answer to the message before it (the purchase, then the previous query)."""
    return _paced(exchanges, delays_s, max_attempts, exact=True)


@check("R-FLOW-04")
def queries_if_any_paced(exchanges: list[Exchange], delays_s: list[float],
                         max_attempts: int) -> list[Violation]:
    """UnionPay's rule for a purchase the acquirer reverses: querying it first is allowed,
    not required (R-FLOW-03); such queries as there are follow the schedule, at most
    ``max_attempts`` of them."""
    return _paced(exchanges, delays_s, max_attempts, exact=False)


def _paced(exchanges: list[Exchange], delays_s: list[float], max_attempts: int,
           exact: bool) -> list[Violation]:
    purchase, queries = _purchase(exchanges), of_type(exchanges, QUERY)
    if purchase is None:
        return _no_purchase()
    found = unequal("status queries before the reversal", len(queries), max_attempts) \
        if exact else unless(len(queries) <= max_attempts, "status queries before the reversal",
                             f"at most {max_attempts}", len(queries))
    for n, (previous, query, delay) in enumerate(
            zip([purchase, *queries], queries, delays_s, strict=False), 1):
        found += _no_sooner(f"wait before query {n}",
                            query.request.at - previous.settled_at, delay)
    return found


@check("R-FLOW-03")
def queried_then_reversed(exchanges: list[Exchange]) -> list[Violation]:
    """A reversal once the last status query is answered, never without querying first."""
    queries, reversals = of_type(exchanges, QUERY), of_type(exchanges, REVERSAL)
    expected = "a cpm.reversal after the last status query"
    if not reversals:
        return [Violation("reversal", expected, "none")]
    if not queries:
        return [Violation("reversal", expected, "a reversal before any status query")]
    return unless(reversals[0].request.at > queries[-1].request.at, "reversal", expected,
                  f"a reversal before query {len(queries)}")


@check("R-FLOW-03")
def reversal_earliest(exchanges: list[Exchange], reversal_earliest_s: float,
                      grace_s: float) -> list[Violation]:
    """The reversal no sooner than ``reversal_earliest_s`` after the purchase, so that it
    does not overtake a purchase still in flight, less ``grace_s``: both are timed by their
    arrival, and the purchase may have been the slower to arrive (an SUT reversing on the
    dot is seen a few milliseconds early). A purchase or a reversal missing is the other
    checks' finding, not this one's."""
    purchase, reversals = _purchase(exchanges), of_type(exchanges, REVERSAL)
    if purchase is None or not reversals:
        return []
    waited = reversals[0].request.at - purchase.request.at
    return unless(waited >= reversal_earliest_s - grace_s, "reversal after the purchase",
                  f"no sooner than {reversal_earliest_s:g} s", f"{waited:.3f} s")


@check("R-FLOW-03")
def reversed_when_unknown(exchanges: list[Exchange]) -> list[Violation]:
    """UnionPay's rule (「交易状态未明的需要发起冲正交易」): a purchase whose outcome stayed
    unknown is reversed, queried first or not."""
    return [] if of_type(exchanges, REVERSAL) else \
        [Violation("reversal", "a cpm.reversal of the purchase", "none")]


@check("R-FLOW-18")
def queried_first_on_schedule(exchanges: list[Exchange], delays_s: list[float],
                              max_attempts: int, reversal_earliest_s: float,
                              grace_s: float) -> list[Violation]:
    """An acquirer declaring query-before-reversal (WeChat's style): every query of its
    schedule (``delays_s`` as the test environment runs them), each no sooner than its
    delay, and the reversal only after the last, no sooner than ``reversal_earliest_s``
    after the purchase. The same findings as R-FLOW-03's and R-FLOW-04's checks, borne by
    the declared option."""
    found = queried_then_reversed(exchanges) + \
        query_schedule(exchanges, delays_s, max_attempts) + \
        reversal_earliest(exchanges, reversal_earliest_s, grace_s)
    return [replace(violation, requirements=()) for violation in found]


def reversal_judged(exchanges: list[Exchange], schedules: dict, declared: set[str],
                    scale: float, reversal_earliest_s: float,
                    grace_s: float) -> list[Violation]:
    """The queries and the reversal of a purchase whose outcome stayed unknown, judged by
    the style the acquirer declares (``declared``: its ICS features) as the profile's
    ``schedules`` (timing.json) define them; a profile without the query-first schedule
    (1.0) asks every acquirer to query on the schedule, then reverse."""
    if QUERY_FIRST_FEATURE in declared and QUERY_FIRST_SCHEDULE in schedules:
        own = schedules[QUERY_FIRST_SCHEDULE]
        return queried_first_on_schedule(exchanges, [d * scale for d in own["delays_s"]],
                                         own["max_attempts"], reversal_earliest_s, grace_s)
    unionpay = schedules["status_query"]
    delays = [delay * scale for delay in unionpay["delays_s"]]
    if QUERY_FIRST_SCHEDULE in schedules:
        return reversed_when_unknown(exchanges) + \
            queries_if_any_paced(exchanges, delays, unionpay["max_attempts"])
    return queried_then_reversed(exchanges) + \
        query_schedule(exchanges, delays, unionpay["max_attempts"]) + \
        reversal_earliest(exchanges, reversal_earliest_s, grace_s)
