"""What a capacity run does, from the profile's capacity data and the SUT's roles: the traffic
mix, the amount, the stages, the limits. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from qrinterop.runner.capacity.shape import Stage, stages_of


def mix_of(mix: list[dict], roles: set[str]) -> dict[str, float]:
    """The share of each kind of transaction for an SUT playing ``roles``: a kind applies when
    one of its roles is the SUT's, and the weights of those that apply are renormalised."""
    applying = {m["kind"]: m["weight"] for m in mix if roles & set(m["roles"]) and m["weight"]}
    total = sum(applying.values())
    return {kind: weight / total for kind, weight in applying.items()} if total \
        else {}


@dataclass(frozen=True)
class Plan:
    """One run's plan: what the master shapes and the workers send."""

    target_tps: float
    duration_s: int
    mix: dict[str, float]
    amount_fen: int
    stages: list[Stage]
    settle_s: float

    @classmethod
    def of(cls, capacity: dict, roles: set[str], tps: float, duration_s: int) -> Plan:
        return cls(tps, duration_s, mix_of(capacity["mix"], roles), capacity["amount_fen"],
                   stages_of(capacity["shape"], tps, duration_s),
                   capacity["limits"]["settle_s"])
