"""``Session.set_clock``: the SUT, the simulated switch, every peer and the harness itself move
together; an SUT whose clock does not follow makes the scenario inconclusive, not failed; and
:meth:`Session.end`'s reset puts every clock back, whatever the SUT does."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from qrinterop.errors import ClockIgnored, SutUnreachable
from qrinterop.judging.verdicts import StepOutcome, step_verdict
from qrinterop.profile import load_profile
from qrinterop.protocol import clock
from qrinterop.runner.scenarios.session import Session


class FakeClient:
    """A control client whose institution honours the clock (or, ``ignores``, answers the
    wall clock; ``gone``, does not answer)."""

    def __init__(self, name: str, under_test: bool = False, ignores: bool = False) -> None:
        self.inst_id, self.under_test, self.ignores = name, under_test, ignores
        self.gone = False
        self.offsets: list[float] = []

    def set_clock(self, offset_s: float) -> dict:
        if self.gone:
            raise SutUnreachable(f"{self.inst_id}: gone")
        self.offsets.append(offset_s)
        now = datetime.now(clock.BEIJING) + timedelta(seconds=0 if self.ignores else offset_s)
        return {"offset_s": offset_s, "now": now.isoformat(timespec="milliseconds")}


def session(sut: FakeClient) -> Session:
    made = Session.__new__(Session)             # set_clock reads only these
    made.profile, made.sut, made.clock_moved = load_profile(), sut, False
    made.personas = {"peer": FakeClient("B", under_test=True), "wallet-w": FakeClient("W")}
    made._simulator_clocks = [FakeClient("switch"), made.personas["wallet-w"]]
    return made


@pytest.fixture(autouse=True)
def wall_clock():
    yield
    clock.set_offset(0)


def test_every_party_and_the_harness_move_together_and_back():
    made = session(FakeClient("SUT", under_test=True))
    target = datetime(2027, 3, 1, 22, 59, 55, tzinfo=clock.BEIJING)
    now = made.set_time(target)
    assert abs((now - target).total_seconds()) < 1
    parties = [made.sut, *made.personas.values(), made._simulator_clocks[0]]
    assert len({tuple(p.offsets) for p in parties}) == 1 and clock.offset_s() != 0
    made.reset_clock()
    assert [p.offsets[-1] for p in parties] == [0] * 4 and clock.offset_s() == 0
    made.reset_clock()                          # nothing moved since: nobody is called
    assert all(len(p.offsets) == 2 for p in parties)


def test_an_sut_ignoring_the_clock_is_inconclusive_while_setting_up():
    made = session(FakeClient("SUT", under_test=True, ignores=True))
    with pytest.raises(ClockIgnored) as caught:
        made.set_clock(3600)
    outcome = StepOutcome("Given", "given", "the clock reads 22:59:55", "failed",
                          caught.value, str(caught.value))
    verdict, reason = step_verdict(outcome)
    assert verdict == "inconclusive" and "its clock reads" in reason


def test_a_stopped_sut_does_not_keep_the_simulators_off_the_wall_clock():
    made = session(FakeClient("SUT", under_test=True))
    made.set_clock(600)
    made.sut.gone = True
    made.reset_clock()
    assert made._simulator_clocks[0].offsets[-1] == 0 and clock.offset_s() == 0
