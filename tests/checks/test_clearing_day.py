"""checks/clearing_day.py: the clearing day turns at the profile's cut-off (23:00 Beijing time)
whatever the zone a moment is written in, and the SUT's books of the purchases of CLK-DAY-01,
one either side of the turn, as the reference (good) and the variant that books under its
Beijing calendar date (settle-date-at-midnight: bad) told them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from qrinterop.checks.clearing_day import clearing_day_of, settled_on_clearing_day
from qrinterop.profile import load_profile
from qrinterop.protocol.clock import BEIJING
from tests.checks.recorded import SUT, transcript

BUSINESS = load_profile().business


@pytest.mark.parametrize(("moment", "day"), [
    (datetime(2026, 12, 4, 22, 59, 59, 999999, BEIJING), date(2026, 12, 4)),
    (datetime(2026, 12, 4, 23, 0, tzinfo=BEIJING), date(2026, 12, 5)),
    (datetime(2026, 12, 4, 23, 59, 59, tzinfo=BEIJING), date(2026, 12, 5)),
    (datetime(2026, 12, 5, 0, 0, 1, tzinfo=BEIJING), date(2026, 12, 5)),
    (datetime(2026, 12, 4, 15, 0, tzinfo=UTC), date(2026, 12, 5)),       # 23:00 in Beijing
    (datetime(2026, 12, 31, 23, 30, tzinfo=BEIJING), date(2027, 1, 1)),  # into the new year
])
def test_the_clearing_day_turns_at_23_beijing_time(moment, day):
    assert clearing_day_of(moment, BUSINESS) == day


def clock_and_books(name: str) -> list[tuple[datetime, dict]]:
    """Each transaction the SUT reported, with the time its clock was last set to."""
    pairs, moment = [], None
    for record in transcript(name):
        content = record.content if record.kind == "response" else None
        if record.sender == SUT and isinstance(content, dict) and "now" in content:
            moment = datetime.fromisoformat(content["now"])
        elif record.sender == SUT and isinstance(content, dict) and "settleDate" in content:
            pairs.append((moment, content))
    return pairs


@pytest.mark.parametrize(("sut", "wrong"), [("reference", []), ("settle-date-at-midnight", [1])])
def test_the_sut_booked_each_purchase_on_its_clearing_day(sut, wrong):
    booked = clock_and_books(f"CLK-DAY-01.{sut}")
    assert [moment.time().isoformat("seconds") for moment, _ in booked] == \
        ["22:59:50", "23:00:10"]
    found = [settled_on_clearing_day(txn, moment, BUSINESS, "the SUT's")
             for moment, txn in booked]
    assert [n for n, violations in enumerate(found) if violations] == wrong
    for n in wrong:
        (violation,) = found[n]
        assert (violation.check, violation.requirements) == ("settled_on_clearing_day",
                                                             ("R-FLOW-12",))
        tomorrow = booked[n][0].date() + timedelta(days=1)
        assert violation.expected.startswith(f"{tomorrow:%m%d}, the clearing day")
        assert violation.observed == f"{booked[n][0]:%m%d}"
