"""The point of observation: around an SUT switch, what the simulated peers logged is told
as the switch's side saw it, so that checks read one kind of record whoever observed it."""

from types import SimpleNamespace

from qrinterop.runner.scenarios.observation import PeerTaps, SwitchTap, observation


class FakeTap:
    def __init__(self, log: list[dict]) -> None:
        self.log, self.programmed, self.cleared = log, [], 0

    def cursor(self) -> int:
        return len(self.log)

    def records_after(self, seq: int) -> list[dict]:
        return self.log[seq:]

    def program_fault(self, fault, peer, msg_type, times=1, **params):
        self.programmed.append((fault, peer, msg_type, times, params))

    def clear_faults(self) -> None:
        self.cleared += 1


def participant(inst_id: str, ics: object = None) -> SimpleNamespace:
    return SimpleNamespace(id=inst_id, ics=ics, control_url="http://127.0.0.1:9")


def entry(at: float, direction: str, peer: str, msg_type: str) -> dict:
    return {"at": at, "direction": direction, "peer": peer, "leg": "from-switch",
            "msg_type": msg_type, "message": {"body": {"respCode": "00"}}, "note": None,
            "deliberate": False}


def test_peers_around_an_sut_switch_tell_what_they_exchanged_with_it():
    switch, wallet, other = participant("90000001"), participant("20000001"), \
        participant("10000003", ics={})       # a second institution under test: no tap
    network = SimpleNamespace(sut=switch, switch=switch, peers=[wallet, other])
    watched = observation(network, 1.0)
    assert isinstance(watched, PeerTaps) and watched.speaks_to_switch
    assert list(watched.taps) == ["20000001"] and watched.speaker is wallet
    tap = watched.taps["20000001"] = FakeTap([entry(1.0, "in", "90000001", "old")])
    watched.watch()
    tap.log += [entry(3.0, "out", "90000001", "notice.result.response"),
                entry(2.0, "in", "90000001", "notice.result.request")]
    request, answer = watched.records()
    assert (request.sender, request.receiver, request.kind, request.pco) == (
        "90000001", "20000001", "request", "peer")
    assert (answer.sender, answer.receiver, answer.kind) == ("20000001", "90000001", "response")
    watched.program("answer-code", "notice.result.request", "20000001", code="06")
    assert tap.programmed == [("answer-code", "90000001", "notice.result.request", 1,
                               {"code": "06"})]
    watched.watch()
    assert tap.cleared == 1 and watched.records() == []


def test_the_simulated_switch_is_the_observation_of_an_institution():
    switch, sut = participant("90000000"), participant("10000001")
    watched = observation(SimpleNamespace(sut=sut, switch=switch, peers=[]), 1.0)
    assert isinstance(watched, SwitchTap) and not watched.speaks_to_switch
    tap = watched.tap = FakeTap([])
    watched.watch()
    tap.log.append(entry(1.0, "in", "10000001", "cpm.purchase.request"))
    [record] = watched.records()
    assert (record.sender, record.receiver, record.pco) == ("10000001", "90000000", "switch")
