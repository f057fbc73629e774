"""Refunds and voids the SUT's terminal sends, on transcripts recorded against the reference
institution as acquirer (AFT-11 to AFT-15) and the variants refund-reuses-order-no,
void-names-wrong-original, refund-retry-new-order-no and terminal-refunds-declined."""

from qrinterop.checks.aftersales import (
    approved,
    names_original,
    not_approved,
    own_order_no,
    retried_alike,
)
from qrinterop.checks.wire import sent
from tests.checks.recorded import SUT, reported, transcript


def terminal(name: str, msg_type: str) -> tuple[list, dict]:
    """The SUT's requests of ``msg_type`` in a recorded run, and its purchase as its
    test-control API reported it."""
    recorded = transcript(name)
    purchase = next(t for t in reported(recorded) if t.get("kind") == "payment")
    return sent(recorded, SUT, msg_type), purchase


def test_the_reference_names_the_purchase_it_voids():
    requests, purchase = terminal("AFT-11.reference", "cpm.void.request")
    assert names_original(requests, purchase, "cpm.void") == []
    assert own_order_no(requests, purchase) == []


def test_a_void_naming_its_own_order_as_the_original_is_found():
    requests, purchase = terminal("AFT-11.void-names-wrong-original", "cpm.void.request")
    [found] = names_original(requests, purchase, "cpm.void")
    assert found.requirements == ("R-FLOW-07", "R-FLOW-13")
    assert requests[0].body["orderNo"] in found.observed and "origVoucherNum" in found.observed


def test_no_void_sent_is_found():
    _, purchase = terminal("AFT-11.reference", "cpm.void.request")
    [found] = names_original([], purchase, "cpm.void")
    assert found.observed == "none sent"


def test_the_reference_refunds_under_order_numbers_of_its_own():
    requests, purchase = terminal("AFT-12.reference", "cpm.refund.request")
    assert len(requests) == 2
    assert names_original(requests, purchase, "cpm.refund") == []
    assert own_order_no(requests, purchase) == []


def test_a_refund_under_the_purchases_order_number_is_found():
    requests, purchase = terminal("AFT-12.refund-reuses-order-no", "cpm.refund.request")
    [found] = own_order_no(requests, purchase)
    assert (found.requirements, found.observed) == (("R-FLOW-06",), f"['{purchase['orderNo']}']")


def test_the_reference_sends_a_retried_refund_once():
    requests, _ = terminal("AFT-13.reference", "cpm.refund.request")
    assert len(requests) == 1 and retried_alike(requests) == []


def test_a_retried_refund_sent_as_a_new_one_is_found():
    requests, _ = terminal("AFT-13.refund-retry-new-order-no", "cpm.refund.request")
    [found] = retried_alike(requests)
    assert found.requirements == ("R-FLOW-06",) and found.expected == "one orderNo and orderTime"


def test_a_refund_the_reference_terminal_refuses_is_not_approved():
    assert not_approved(None, "no approved payment with voucher P1", "refund") == []
    [declined] = [t for t in reported(transcript("AFT-14.reference")) if t["kind"] == "void"]
    assert not_approved(declined, None, "void") == []


def test_a_refund_of_a_declined_purchase_booked_approved_is_found():
    refund = reported(transcript("AFT-15.terminal-refunds-declined"))[-1]
    [found] = not_approved(refund, None, "refund at the SUT")
    assert (found.expected, found.observed) == ("declined", "approved (response code 00)")
    assert "R-FLOW-14" in found.requirements


def test_a_refund_refused_or_declined_where_approval_was_due_is_found():
    [refused] = approved(None, "no approved payment", "refund at the SUT")
    assert refused.observed == "refused: no approved payment"
    [declined] = [t for t in reported(transcript("AFT-14.reference")) if t["kind"] == "void"]
    [found] = approved(declined, None, "void at the SUT")
    assert found.observed == "declined (response code 45)"
    assert approved(reported(transcript("AFT-15.terminal-refunds-declined"))[-1], None,
                    "refund") == []
