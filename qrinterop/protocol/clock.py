"""The clock of one process: the wall clock moved by an offset the harness may set.

Every rule tied to the time of day or to a duration (a payment code's validity, the Beijing-time
day of a daily limit, the 23:00 turn of the clearing day and the settlement date it gives, a
void's cut-off, a refund's window) and every message's timestamp and replay window read this
clock, never ``time.time()`` or ``datetime.now()``: so the test-control API's ``PUT
/control/clock`` moves the whole simulated network together, and a scenario sets the clock to
22:59:55 Beijing time instead of waiting for it. Each simulator is its own process with its own
offset; the harness sets them all at once (``Session.set_clock``) and its own too, so that what
it stamps as the switch (the injector) agrees with them.

An offset, not an absolute time, is what is set: parties on one host then agree to the
millisecond whenever each is told, and the clock keeps running.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8))
#: How far the clock may be moved either way (ten years): every date stays printable and
#: every timestamp an ISO 8601 time with four-digit years.
MAX_OFFSET_S = 315_360_000

_offset_s = 0.0


def offset_s() -> float:
    """How far this process's clock is ahead of the wall clock (negative: behind)."""
    return _offset_s


def set_offset(seconds: object) -> float:
    """Move this process's clock to the wall clock plus ``seconds`` (0: the wall clock
    again); ValueError for an offset that is not a finite number within ±MAX_OFFSET_S."""
    global _offset_s
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) \
            or not math.isfinite(seconds) or abs(seconds) > MAX_OFFSET_S:
        raise ValueError(f"offset_s must be a number of seconds within ±{MAX_OFFSET_S}, "
                         f"got {seconds!r}")
    _offset_s = float(seconds)
    return _offset_s


def now_s() -> float:
    """POSIX seconds by this process's clock: what ``time.time()`` would say, moved."""
    return time.time() + _offset_s


def beijing_now() -> datetime:
    """The time by this process's clock, in Beijing time (the profile's time zone)."""
    return datetime.fromtimestamp(now_s(), BEIJING)


def utc_now() -> datetime:
    return datetime.fromtimestamp(now_s(), UTC)


def offset_to(moment: datetime) -> float:
    """The offset that makes the clock read ``moment`` (offset-aware) now."""
    return moment.timestamp() - time.time()
