"""Replay protection: a message is accepted once, and only while it is fresh.

Every header carries a ``timestamp`` and a random ``nonce``, both under the signature. A
receiver accepts a message whose timestamp lies within ± ``window_s`` of its own clock (default
300 s, the profile's number) and whose nonce it has not seen from that sender. A nonce only has
to be remembered while a message carrying it could still be fresh, that is until its timestamp
plus the window; older entries are forgotten as time moves on.

Memory is bounded per sender (``max_nonces``). When a sender exceeds it, the oldest nonce is
forgotten and the sender's *floor* rises to that nonce's timestamp: from then on anything at or
before the floor is refused as stale. So a flood narrows the effective window for that sender
but never lets a replay through. The guard is not thread-safe; the simulators are single-threaded
asyncio services.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from qrinterop.protocol.clock import now_s as clock_now_s

OK = "ok"
STALE = "stale-timestamp"
FUTURE = "future-timestamp"
REUSED = "reused-nonce"
BAD_TIMESTAMP = "bad-timestamp"
DEFAULT_WINDOW_S = 300.0
BEIJING = timezone(timedelta(hours=8))   # the profile's timestamps are Beijing time


@dataclass(frozen=True)
class ReplayVerdict:
    """``status`` is one of the module's constants; ``detail`` says why in one line."""

    status: str
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status == OK


@dataclass
class _Memory:
    """One sender's remembered nonces, oldest timestamp first."""

    by_time: list[tuple[float, str]] = field(default_factory=list)
    seen: dict[str, float] = field(default_factory=dict)
    floor: float = float("-inf")

    def forget_before(self, moment: float) -> None:
        while self.by_time and self.by_time[0][0] < moment:
            _, nonce = heapq.heappop(self.by_time)
            del self.seen[nonce]

    def remember(self, nonce: str, moment: float, limit: int) -> None:
        heapq.heappush(self.by_time, (moment, nonce))
        self.seen[nonce] = moment
        if len(self.by_time) > limit:
            oldest, forgotten = heapq.heappop(self.by_time)
            del self.seen[forgotten]
            self.floor = max(self.floor, oldest)


class ReplayGuard:
    """Judges ``(sender, timestamp, nonce)`` triples: ok, stale, future or reused."""

    def __init__(self, window_s: float = DEFAULT_WINDOW_S, max_nonces: int = 100_000) -> None:
        if window_s < 0 or max_nonces < 1:
            raise ValueError("the window must be >= 0 s and the nonce memory hold >= 1 nonce")
        self.window_s = window_s
        self.max_nonces = max_nonces
        self._memory: dict[str, _Memory] = {}

    def check(self, sender: str, timestamp: str | datetime, nonce: str,
              now: datetime | None = None, *, record: bool = True) -> ReplayVerdict:
        """Judge one message. When it is ok and ``record`` is true its nonce is remembered;
        pass ``record=False`` for a message whose signature did not verify, so that forged
        traffic cannot fill the memory or burn an honest sender's nonces."""
        moment = _instant(timestamp)
        if moment is None:
            return ReplayVerdict(BAD_TIMESTAMP, f"timestamp {timestamp!r} is not an ISO 8601 "
                                                "time with a UTC offset")
        clock = now.timestamp() if now else clock_now_s()
        verdict = self._judge_time(sender, moment, clock)
        if verdict.ok:
            verdict = self._judge_nonce(sender, nonce, moment, clock, record)
        return verdict

    def _judge_time(self, sender: str, moment: float, clock: float) -> ReplayVerdict:
        skew = moment - clock
        if skew < -self.window_s:
            return ReplayVerdict(STALE, f"timestamp is {-skew:.0f} s before the receiver's clock "
                                        f"(window ±{self.window_s:g} s)")
        if skew > self.window_s:
            return ReplayVerdict(FUTURE, f"timestamp is {skew:.0f} s after the receiver's clock "
                                         f"(window ±{self.window_s:g} s)")
        memory = self._memory.get(sender)
        if memory is not None and moment <= memory.floor:
            return ReplayVerdict(STALE, f"timestamp is older than the oldest nonce still "
                                        f"remembered for {sender} (memory full: "
                                        f"{self.max_nonces} nonces)")
        return ReplayVerdict(OK)

    def _judge_nonce(self, sender: str, nonce: str, moment: float, clock: float,
                     record: bool) -> ReplayVerdict:
        memory = self._memory.setdefault(sender, _Memory())
        memory.forget_before(clock - self.window_s)
        first = memory.seen.get(nonce)
        if first is not None:
            when = datetime.fromtimestamp(first, BEIJING).isoformat(timespec="milliseconds")
            return ReplayVerdict(REUSED, f"nonce {nonce} was already used by {sender} in a "
                                         f"message stamped {when}")
        if record:
            memory.remember(nonce, moment, self.max_nonces)
        return ReplayVerdict(OK)

    def remembered(self, sender: str) -> int:
        """How many nonces are held for ``sender`` (for tests and monitoring)."""
        memory = self._memory.get(sender)
        return len(memory.seen) if memory else 0


def _instant(timestamp: str | datetime) -> float | None:
    """POSIX seconds of an offset-aware time, or None for anything else."""
    try:
        moment = (timestamp if isinstance(timestamp, datetime)
                  else datetime.fromisoformat(timestamp))
    except (TypeError, ValueError):
        return None
    return moment.timestamp() if moment.utcoffset() is not None else None
