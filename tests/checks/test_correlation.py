"""Which records belong together, on recorded transcripts: a purchase's exchanges among
other transactions' (REV-01 has notices of earlier purchases between its queries), answers
told apart by what the protocol gives, not by "the next record"."""

from qrinterop.checks.correlation import (
    Exchange,
    earlier_owner,
    exchanges,
    of_purchase,
    of_type,
    transaction_keys,
)
from qrinterop.checks.record import Record
from tests.checks.recorded import order_of, transcript

SUT, SWITCH, PEER = "10000001", "90000000", "10000002"


def test_a_purchases_exchanges_leave_out_other_transactions():
    found = transcript("REV-01.reference")
    mine = of_purchase(found, SUT, order_of(found, SUT))
    assert [e.msg_type for e in mine] == ["cpm.purchase", *["cpm.status_query"] * 6,
                                          "cpm.reversal"]
    assert all(e.answer is not None and e.answer.at >= e.request.at for e in mine)
    assert all(e.answer.body["origOrderNo"] == e.request.body["origOrderNo"]
               for e in mine if e.msg_type == "cpm.status_query")
    notices = of_type(exchanges(found), "notice.result", receiver=SUT)
    assert notices and not any(n.request.about(orderNo=order_of(found, SUT)) for n in notices)
    assert all(n.answer.body["voucherNum"] == n.request.body["voucherNum"] for n in notices)


def test_a_dropped_answer_is_still_the_purchases_answer():
    """The switch logs the answer it was to send, marked deliberate: the SUT's wait is
    measured from it."""
    found = transcript("FLT-01-drop-answer.reference")
    purchase = of_purchase(found, SUT, order_of(found, SUT))[0]
    assert purchase.answer.deliberate and purchase.code == "00"


def test_answers_seen_at_a_simulated_peer_around_an_sut_switch():
    found = transcript("SW-07.reference-switch")
    notices = of_type(exchanges(found), "notice.result", "90000001", PEER)
    assert [n.code for n in notices] == ["06", "00"]
    assert all(n.request.pco == n.answer.pco == "peer" for n in notices)


def _hop(at: float, sender: str, receiver: str, msg_type: str, **body: object) -> Record:
    kind = "request" if msg_type.endswith(".request") else "response"
    return Record(at=at, sender=sender, receiver=receiver, msg_type=msg_type, kind=kind,
                  leg="to-switch", content={"header": {"msgType": msg_type}, "body": body})


def test_the_next_record_is_not_always_the_answer():
    """Two purchases in flight, answered in the other order, with a notice between: each
    answer goes to the request whose amount it carries, the notice's answer to the notice."""
    first = _hop(1.0, SUT, SWITCH, "cpm.purchase.request", orderNo="A", amount=100)
    second = _hop(1.1, SUT, SWITCH, "cpm.purchase.request", orderNo="B", amount=200)
    notice = _hop(1.2, SWITCH, SUT, "notice.result.request", voucherNum="V1")
    answer_b = _hop(1.3, SWITCH, SUT, "cpm.purchase.response", respCode="00", amount=200)
    ack = _hop(1.4, SUT, SWITCH, "notice.result.response", respCode="00", voucherNum="V1")
    answer_a = _hop(1.5, SWITCH, SUT, "cpm.purchase.response", respCode="51")
    found = exchanges([first, second, notice, answer_b, ack, answer_a])
    assert found == [Exchange(first, answer_a), Exchange(second, answer_b),
                     Exchange(notice, ack)]


def test_an_answer_comes_from_the_requests_receiver_after_it():
    request = _hop(2.0, SUT, SWITCH, "cpm.status_query.request", origOrderNo="A")
    too_early = _hop(1.0, SWITCH, SUT, "cpm.status_query.response", origOrderNo="A")
    elsewhere = _hop(2.1, SWITCH, PEER, "cpm.status_query.response", origOrderNo="A")
    other = _hop(2.2, SWITCH, SUT, "cpm.status_query.response", origOrderNo="B")
    assert exchanges([too_early, request, elsewhere, other]) == [Exchange(request, None)]


def test_notices_of_an_earlier_scenario_are_told_to_be_its_own():
    """REV-01's transcript, recorded before strict correlation, holds result notices of
    earlier purchases: told by their voucher numbers to be those scenarios', while REV-01's
    own purchase, queries and reversal stay with it."""
    found = transcript("REV-01.reference")
    mine = {key for e in of_purchase(found, SUT, order_of(found, SUT))
            for r in (e.request, e.answer) if r for key in transaction_keys(r)}
    strays = [r for r in found if r.msg_type and r.msg_type.startswith("notice.result")
              and not transaction_keys(r) & mine]
    assert strays
    owners = {key: "CPM-01" for r in strays for key in transaction_keys(r)}
    assert {earlier_owner(r, owners) for r in strays} == {"CPM-01"}
    assert not any(earlier_owner(r, owners) for r in found if transaction_keys(r) & mine)


def test_only_trailing_messages_go_to_an_earlier_scenario():
    """A purchase that reuses an earlier scenario's order number is the SUT's doing now; a
    notice naming transactions of two scenarios belongs to neither alone."""
    purchase = _hop(1.0, SUT, SWITCH, "cpm.purchase.request", orderNo="A")
    query = _hop(1.1, SUT, SWITCH, "cpm.status_query.request", origOrderNo="A")
    both = _hop(1.2, SWITCH, SUT, "notice.result.request", voucherNum="V1", orderNo="B")
    owners = {"A": "CPM-01", "V1": "COL-02", "B": "CPM-02"}
    assert earlier_owner(purchase, owners) is None
    assert earlier_owner(query, owners) == "CPM-01"
    assert earlier_owner(both, owners) is None
    assert earlier_owner(_hop(1.3, SUT, SWITCH, "notice.result.response", voucherNum="V9"),
                         owners) is None
