"""Which clearing day a moment falls in, and whether a transaction was booked under it.

A clearing day runs from the cut-off (business.json ``clearing_day.cutoff``, 23:00) the day
before to the cut-off, in the profile's time zone (``clearing_day.timezone``, Beijing time), and
its settlement date (``settleDate``, MMDD) names the day it ends on: a purchase at 22:59:50 is
on today's, one at 23:00:10 on tomorrow's. Scenarios set the network's clock to either side of
the turn (``PUT /control/clock``) and hold every party's books to the day it fell in.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from qrinterop.checks.outcome import Violation, check, unless


def clearing_day_of(moment: datetime, business: dict) -> date:
    """The day whose cut-off ends the clearing day ``moment`` (offset-aware) falls in."""
    rule = business["clearing_day"]
    zone = datetime.strptime(rule["timezone"]["value"], "%z").tzinfo
    local = moment.astimezone(zone)
    cutoff = time.fromisoformat(rule["cutoff"]["value"])
    return local.date() + timedelta(days=1) if local.time() >= cutoff else local.date()


@check("R-FLOW-12")
def settled_on_clearing_day(booked: dict, moment: datetime, business: dict,
                            whose: str) -> list[Violation]:
    """``booked`` (a transaction as an institution's control API tells it) carries the
    settlement date of the clearing day ``moment`` falls in."""
    expected = f"{clearing_day_of(moment, business):%m%d}"
    cutoff = business["clearing_day"]["cutoff"]["value"]
    return unless(booked.get("settleDate") == expected, f"settlement date in {whose} books",
                  f"{expected}, the clearing day {moment.isoformat(timespec='seconds')} falls "
                  f"in (it turns at {cutoff})", booked.get("settleDate"))
