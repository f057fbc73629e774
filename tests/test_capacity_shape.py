"""The capacity run's plan as pure arithmetic: the profile's stages over a run, the target
rate each second, the users that make it, the mix an SUT's roles leave."""

from __future__ import annotations

import pytest

from qrinterop.profile import load_profile
from qrinterop.runner.capacity.pacing import Pacer
from qrinterop.runner.capacity.plan import Plan, mix_of
from qrinterop.runner.capacity.shape import (
    USERS_PER_TPS,
    expected_transactions,
    mean_target,
    stages_of,
    target_at,
    users_for,
)

CAPACITY = load_profile().capacity


def test_the_stages_cover_the_duration_end_to_end():
    stages = stages_of(CAPACITY["shape"], 30.0, 60)
    assert [(s.stage, s.start_s, s.end_s) for s in stages] == [
        ("ramp", 0.0, 12.0), ("steady", 12.0, 48.0), ("spike", 48.0, 54.0),
        ("recover", 54.0, 60)]
    assert [(s.from_tps, s.to_tps) for s in stages] == [
        (0.0, 30.0), (30.0, 30.0), (45.0, 45.0), (30.0, 30.0)]


def test_the_target_ramps_linearly_then_holds_spikes_and_ends():
    stages = stages_of(CAPACITY["shape"], 30.0, 60)
    assert target_at(stages, 0) == (0.0, "ramp")
    assert target_at(stages, 6) == (15.0, "ramp")
    assert target_at(stages, 30) == (30.0, "steady")
    assert target_at(stages, 50) == (45.0, "spike")
    assert target_at(stages, 59.9) == (30.0, "recover")
    assert target_at(stages, 60) is None
    assert mean_target(stages, 0) == 1.25       # the middle of the first second


@pytest.mark.parametrize(("tps", "users"), [(0.0, 1), (0.5, 1), (1.0, 2), (30.0, 60),
                                            (45.0, 90), (2.6, 6)])
def test_the_users_leave_room_for_answers_of_up_to_two_seconds(tps, users):
    assert users_for(tps) == users
    assert users >= tps * USERS_PER_TPS


def test_a_workers_slots_are_evenly_spaced_at_its_rate_and_never_made_up():
    pacer = Pacer()
    assert pacer.reserve(100.0) is None         # no rate yet
    pacer.tps = 4.0
    assert [pacer.reserve(100.0) for _ in range(6)] == [0.0, 0.25, 0.5, 0.75, 1.0, None]
    assert pacer.reserve(110.0) == 0.0          # the slots missed meanwhile are lost
    assert pacer.reserve(110.0) == 0.25


def test_the_transactions_expected_are_the_area_under_the_target():
    stages = stages_of(CAPACITY["shape"], 30.0, 60)
    assert expected_transactions(stages) == 12 * 15 + 36 * 30 + 6 * 45 + 6 * 30


def test_the_mix_keeps_the_kinds_of_the_sut_roles_renormalised():
    assert mix_of(CAPACITY["mix"], {"issuer", "acquirer"})["refund"] == 0.1
    only_issuer = mix_of(CAPACITY["mix"], {"issuer"})
    assert set(only_issuer) == {"cpm-purchase-sut-issuer", "mpm-payment-sut-issuer",
                                "status-query", "refund"}
    assert sum(only_issuer.values()) == pytest.approx(1.0)
    assert only_issuer["cpm-purchase-sut-issuer"] == 0.5
    assert mix_of(CAPACITY["mix"], {"switch"}) == {}


def test_a_plan_reads_amount_stages_and_settling_from_the_capacity_data():
    plan = Plan.of(CAPACITY, {"acquirer"}, 10.0, 20)
    assert plan.amount_fen == 100 and plan.settle_s == 30
    assert plan.stages[-1].end_s == 20 and plan.mix["cpm-purchase-sut-acquirer"] == 0.6
