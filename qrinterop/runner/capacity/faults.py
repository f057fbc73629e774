"""Faults under load: the simulated switch spoils a small share of its exchanges with the SUT
during the run, from the profile's fault plan (faults.json), so that the run shows the SUT
settles every unknown outcome and loses no money when answers are late or lost.

The switch's fault plan spoils the *next* exchanges of a kind (``times``), so the feeder,
called once a second with the target rate, programs as many as the share of that second's
transactions comes to, alternating the faults that apply to the SUT's roles: the SUT as
issuer has its answers to purchases lost (``lose-answer``: the acquirer queries, the switch
asks the SUT), the SUT as acquirer gets the switch's answers late (``answer-late``: it
queries, then reverses).
"""

from __future__ import annotations

import itertools

from qrinterop.runner.scenarios.clients import TapClient

#: The faults a capacity run may program, by the SUT role they spoil the answers of.
FAULTS_BY_ROLE = {"issuer": "lose-answer", "acquirer": "answer-late"}
#: The message whose exchanges they spoil.
SPOILT = "cpm.purchase.request"


class FaultFeeder:
    def __init__(self, tap: TapClient, sut: str, roles: set[str], share: float) -> None:
        self.tap = tap
        self.sut = sut
        self.share = share
        self.faults = itertools.cycle([FAULTS_BY_ROLE[r] for r in sorted(roles)
                                       if r in FAULTS_BY_ROLE] or [None])
        self.owed = 0.0
        self.programmed: list[str] = []

    def second(self, target_tps: float) -> None:
        """One second of the run at ``target_tps``: program the faults it owes."""
        self.owed += self.share * target_tps
        while self.owed >= 1.0:
            self.owed -= 1.0
            fault = next(self.faults)
            if fault is None:
                return
            self.tap.program_fault(fault, self.sut, SPOILT)
            self.programmed.append(fault)
