"""The load shape as pure arithmetic: the profile's stages (ramp, steady, spike, recover) laid
over a run's duration, the target rate at any second, and the Locust users that make it.

Kept apart from Locust (``load_shape.py`` wraps it) so that it can be tested without starting
anything, and so that the harness's process, which never imports Locust, can tell the rate a
fault feeder or a report needs at a given second.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

#: Locust users the shape runs for each transaction a second of the target. The rate itself is
#: paced (``pacing.Pacer``); the users bound how many transactions may be under way at once:
#: two per unit of rate let answers take up to two seconds each, with room for a few that
#: wait much longer (a late answer).
USERS_PER_TPS = 2


@dataclass(frozen=True)
class Stage:
    stage: str
    start_s: float
    end_s: float
    from_tps: float
    to_tps: float

    def target(self, t: float) -> float:
        """The rate at ``t`` (inside the stage): linear from ``from_tps`` to ``to_tps``."""
        length = self.end_s - self.start_s
        done = (t - self.start_s) / length if length > 0 else 1.0
        return self.from_tps + (self.to_tps - self.from_tps) * done

    def as_dict(self) -> dict:
        return asdict(self)


def stages_of(shape: list[dict], tps: float, duration_s: float) -> list[Stage]:
    """The profile's ``shape`` (each stage's share of the duration and its rate as multiples
    of the target, ``from`` and ``to``) as stages of this run, end to end; the last ends at
    ``duration_s`` exactly whatever the shares add up to."""
    stages, start = [], 0.0
    for n, entry in enumerate(shape):
        end = duration_s if n == len(shape) - 1 else round(start + entry["share"] * duration_s, 3)
        stages.append(Stage(entry["stage"], start, end, entry["from"] * tps, entry["to"] * tps))
        start = end
    return stages


def target_at(stages: list[Stage], t: float) -> tuple[float, str] | None:
    """The target rate at ``t`` seconds into the run and its stage's name; None once the
    last stage has ended."""
    for stage in stages:
        if stage.start_s <= t < stage.end_s:
            return stage.target(t), stage.stage
    return None


def mean_target(stages: list[Stage], second: int) -> float:
    """The target over one second of the run (its middle's): a series row's ``target_tps``."""
    found = target_at(stages, second + 0.5)
    return round(found[0], 3) if found else 0.0


def users_for(tps: float) -> int:
    """Locust users for ``tps`` transactions a second (:data:`USERS_PER_TPS` each); never
    none, so that Locust keeps the run going through a ramp's first second."""
    return max(1, math.ceil(tps * USERS_PER_TPS - 1e-9))


def expected_transactions(stages: list[Stage]) -> float:
    """How many transactions the shape asks for in all: the area under the target."""
    return sum((s.end_s - s.start_s) * (s.from_tps + s.to_tps) / 2 for s in stages)
