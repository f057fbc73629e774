"""Where the harness stands to watch the SUT and spoil its exchanges: the point of
observation and control (ISO/IEC 9646's PCO).

An institution under test is watched from the simulated switch it talks to (``SwitchTap``);
a switch under test from the simulated institutions around it, each through its own tap
(``PeerTaps``, mocks/tap.py serves the same ``/sim/records`` and ``/sim/faults``). Both tell
what they saw as :class:`~qrinterop.checks.record.Record` s from the switch's side, so
transcripts, passive checks and a scenario's checks read them alike, and neither the session
nor a step asks which one it has.
"""

from __future__ import annotations

from typing import Protocol

from qrinterop.checks.record import Record
from qrinterop.runner.processes.network import Network, Participant
from qrinterop.runner.scenarios.clients import TapClient


class Observation(Protocol):
    """A point of observation and control, as a scenario uses it."""

    #: How transcripts name it (``Record.pco``).
    pco: str
    #: The party the injector speaks as toward the SUT...
    speaker: Participant
    #: ...and whether the SUT is the switch, so that it speaks on the to-switch leg.
    speaks_to_switch: bool

    def watch(self) -> None:
        """Read from here on, with no fault left over from another scenario."""

    def records(self) -> list[Record]:
        """What was exchanged with the SUT since :meth:`watch`, by time."""

    def program(self, fault: str, msg_type: str, party: str, times: int = 1,
                **params: object) -> None:
        """Spoil the next ``times`` exchanges of ``msg_type`` between ``party`` (an
        institution ID) and the switch, as the profile's faults.json names ``fault``."""


def observation(network: Network, timeout_s: float) -> Observation:
    """The simulated switch when there is one; the simulated peers around an SUT switch."""
    if network.sut is network.switch:
        return PeerTaps(network, timeout_s)
    return SwitchTap(network, timeout_s)


class SwitchTap:
    """The simulated switch: it sees every message to and from the SUT, spoils its own
    exchanges with any participant, and serves reconciliation files."""

    pco = "switch"
    speaks_to_switch = False

    def __init__(self, network: Network, timeout_s: float) -> None:
        self.switch = network.switch
        self.speaker = network.switch
        self.tap = TapClient(network.switch.control_url, timeout_s)
        self._cursor = 0

    def watch(self) -> None:
        self._cursor = self.tap.cursor()
        self.tap.clear_faults()

    def records(self) -> list[Record]:
        return [Record.from_log(raw, self.switch.id)
                for raw in self.tap.records_after(self._cursor)]

    def program(self, fault: str, msg_type: str, party: str, times: int = 1,
                **params: object) -> None:
        self.tap.program_fault(fault, party, msg_type, times=times, **params)

    def reconciliation(self, participant: str) -> dict:
        """The switch's reconciliation file for ``participant``, today's."""
        return self.tap.reconciliation(participant)


class PeerTaps:
    """The simulated institutions around an SUT switch, each logging what it exchanged with
    the SUT and spoiling its own answers to it. A second institution under test (one that
    comes with an ICS) has no tap."""

    pco = "peer"
    speaks_to_switch = True

    def __init__(self, network: Network, timeout_s: float) -> None:
        self.switch = network.sut
        self.speaker = network.peers[0]
        self.taps = {peer.id: TapClient(peer.control_url, timeout_s) for peer in network.peers
                     if peer.ics is None}
        self._cursors: dict[str, int] = {}
        self._faulty: set[str] = set()      # peers with faults programmed this scenario

    def watch(self) -> None:
        for peer in self._faulty:
            self.taps[peer].clear_faults()
        self._faulty.clear()
        self._cursors = {peer: tap.cursor() for peer, tap in self.taps.items()}

    def records(self) -> list[Record]:
        return sorted((self._as_switch_saw(peer, raw) for peer, tap in self.taps.items()
                       for raw in tap.records_after(self._cursors[peer])),
                      key=lambda record: record.at)

    def _as_switch_saw(self, peer: str, raw: dict) -> Record:
        """A peer's log entry told as the switch's log would tell it: what the peer received
        (``in``) the switch sent it."""
        told = {**raw, "peer": peer, "direction": "out" if raw["direction"] == "in" else "in"}
        return Record.from_log(told, self.switch.id, pco=self.pco)

    def program(self, fault: str, msg_type: str, party: str, times: int = 1,
                **params: object) -> None:
        self.taps[party].program_fault(fault, self.switch.id, msg_type, times=times, **params)
        self._faulty.add(party)
