"""Passive: every status query any party sends, in every scenario, against the profile's
schedule (timing.json ``schedules.status_query``): no more queries of one payment than
``max_attempts``, and each no sooner than its delay after the answer before it (the
payment's, then the previous query's). The scenarios about queries check one terminal's
purchase; this holds every purchase and every wallet payment of every scenario to it (a
wallet querying its MPM payment too early, a terminal querying a purchase that a fault left
unknown in a scenario about something else).

Times are as the point of observation saw them, so a wait looks at least as long as the
querying party had it: the check never blames a party for the network's delay.
"""

from __future__ import annotations

from qrinterop.checks.consistency import Pair, spoilt
from qrinterop.checks.correlation import Exchange, exchanges
from qrinterop.checks.outcome import Violation, check
from qrinterop.checks.record import Record

#: Which query asks about which payment.
QUERY_OF = {"cpm.purchase": "cpm.status_query", "mpm.payment": "mpm.payment_query"}

#: The requirement the schedule is: R-FLOW-04.
PACING_REQUIREMENT = "R-FLOW-04"


def queries_of(found: list[Exchange], payment: Exchange) -> list[Exchange]:
    """The status queries the payment's sender sent about it, in order."""
    order_no = payment.request.body.get("orderNo")
    return [e for e in found if e.msg_type == QUERY_OF[payment.msg_type]
            and e.request.sender == payment.request.sender
            and e.request.leg == payment.request.leg
            and e.request.body.get("origOrderNo") == order_no and not spoilt(e.request)]


#: A schedule as the test environment runs it: its waits (scaled) and its number of attempts.
Schedule = tuple[list[float], int]


def paced_found(records: list[Record], delays_s: list[float], max_attempts: int,
                own: dict[str, Schedule] | None = None) -> list[Pair]:
    """Every query sent too soon or beyond the schedule's count, with the record of it.
    ``delays_s``: the schedule's waits as the test environment runs them (scaled); ``own``:
    the schedule an acquirer declared for its CPM purchases instead (query-before-reversal:
    WeChat's), by its institution code."""
    found = exchanges(records)
    pairs: list[Pair] = []
    for payment in (e for e in found if e.msg_type in QUERY_OF
                    and e.request.leg == "to-switch" and not spoilt(e.request)):
        delays_s, max_attempts = (own or {}).get(payment.request.sender or "", (
            delays_s, max_attempts)) if payment.msg_type == "cpm.purchase" else \
            (delays_s, max_attempts)
        queries = queries_of(found, payment)
        what = f"{QUERY_OF[payment.msg_type]} of {payment.request.body.get('orderNo')}"
        pairs += [(query.request, Violation(f"{what}: query {n}", f"at most {max_attempts}",
                                            str(len(queries))))
                  for n, query in enumerate(queries[max_attempts:], max_attempts + 1)]
        for n, (previous, query, delay) in enumerate(
                zip([payment, *queries], queries, delays_s, strict=False), 1):
            waited = query.request.at - previous.settled_at
            if waited < delay:
                pairs.append((query.request, Violation(
                    f"{what}: wait before query {n}", f"no sooner than {delay:g} s",
                    f"{waited:.3f} s")))
    return pairs


@check(PACING_REQUIREMENT)
def queries_paced(records: list[Record], delays_s: list[float],
                  max_attempts: int) -> list[Violation]:
    """Every party queries every payment of the scenario on the profile's schedule."""
    return [violation for _, violation in paced_found(records, delays_s, max_attempts)]
