"""Start slots for a worker's transactions: evenly spaced at the worker's share of the target
rate, shared by all its users. The rate is the target's, not the users' pace: a user waiting
on a slow or late answer leaves its slots to the idle ones, so a few stalled transactions
(a fault programmed under load) do not lower the rate, while an SUT slow on every answer
still cannot be driven faster than its users can go (``shape.USERS_PER_TPS``)."""

from __future__ import annotations

#: How far ahead a slot may be reserved (s): further, and a user looks again later, so that
#: a change of rate takes effect within about this long.
HORIZON_S = 1.0
#: How long a user without a slot waits before it looks again (s).
LOOK_AGAIN_S = 0.25


class Pacer:
    def __init__(self) -> None:
        self.tps = 0.0
        self.next_at = 0.0

    def reserve(self, now: float) -> float | None:
        """Seconds until the next free slot, now reserved; None when there is none within
        :data:`HORIZON_S` (no rate yet, or enough users already waiting for theirs). Slots
        missed while every user was busy are not made up in a burst."""
        if self.tps <= 0:
            return None
        slot = max(now, self.next_at)
        if slot - now > HORIZON_S:
            return None
        self.next_at = slot + 1.0 / self.tps
        return slot - now
