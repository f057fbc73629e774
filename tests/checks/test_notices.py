"""Notices acknowledged and resent, on transcripts recorded against the reference
institution (NTF-01, NTF-04), the reference switch (SW-07, SW-NTF-01) and their variants
notice-unacknowledged, switch-resends-notices-at-once, switch-never-resends-notices and
switch-notifies-declines."""

import pytest

from qrinterop.checks.correlation import exchanges, of_type
from qrinterop.checks.notices import acknowledged, none_of_a_decline, resent
from qrinterop.profile import load_profile
from tests.checks.recorded import order_of, transcript

SUT, PEER, SWITCH = "10000001", "10000002", "90000001"
SCALE = 0.1
PROFILE = load_profile()
RESEND = PROFILE.schedules["notification_retry"]["delays_s"][1] * SCALE
GRACE = PROFILE.seconds("observation_grace_s", SCALE)


def result_notices(variant: str):
    found = transcript(f"NTF-01.{variant}")
    return of_type(exchanges(found), "notice.result", receiver=SUT,
                   orderNo=order_of(found, SUT))


def collection_notices(variant: str):
    found = exchanges(transcript(f"NTF-04.{variant}"))
    paid = next(e for e in found if e.msg_type == "mpm.payment" and e.request.sent_to(SUT))
    return of_type(found, "mpm.collection_notice", receiver=SUT,
                   voucherNum=paid.answer.body["voucherNum"])


def to_peer(variant: str, scenario: str = "SW-07"):
    found = transcript(f"{scenario}.{variant}")
    return of_type(exchanges(found), "notice.result", SWITCH, PEER,
                   orderNo=order_of(found, PEER))


def test_the_reference_acknowledges_every_copy():
    assert acknowledged(result_notices("reference"), ["00", "00"]) == []
    assert acknowledged(collection_notices("reference"), ["00"]) == []


@pytest.mark.parametrize(("notices", "expected"), [
    (result_notices, ["00", "00"]), (collection_notices, ["00"])])
def test_notices_answered_with_an_error_are_found(notices, expected):
    [found] = acknowledged(notices("notice-unacknowledged"), expected)
    assert (found.check, found.requirements) == ("acknowledged", ("R-FLOW-08",))
    assert (found.what, found.expected, found.observed) == (
        "the SUT's acknowledgements", str(expected), str(["06"] * len(expected)))


def test_a_notice_not_sent_as_often_as_expected_is_found():
    count, answers = acknowledged(result_notices("reference")[:1], ["00", "00"])
    assert (count.what, count.expected, count.observed) == (
        "notice.result notices sent to the SUT", "2", "1")
    assert answers.observed == "['00']"


def test_the_reference_switch_resends_on_the_schedule():
    notices = to_peer("reference-switch")
    assert resent(notices, RESEND, GRACE) == []
    assert acknowledged(notices, ["06", "00"], "the peer") == []


def test_a_switch_that_resends_at_once_is_found():
    [found] = resent(to_peer("switch-resends-notices-at-once"), RESEND, GRACE)
    assert (found.check, found.requirements) == ("resent", ("R-FLOW-08",))
    assert found.what == "time between the two copies" and found.expected == "no sooner than 6 s"


def test_a_switch_that_never_resends_is_found():
    [found] = resent(to_peer("switch-never-resends-notices"), RESEND, GRACE)
    assert (found.expected, found.observed) == ("2", "1")


def test_the_reference_switch_notifies_no_decline():
    assert to_peer("reference-switch", "SW-NTF-01") == []
    assert none_of_a_decline(to_peer("reference-switch", "SW-NTF-01"), False) == []


def test_a_switch_notifying_a_decline_is_found_where_the_profile_says_it_does_not():
    notices = to_peer("switch-notifies-declines", "SW-NTF-01")
    [found] = none_of_a_decline(notices, False)
    assert (found.requirements, found.observed) == (("R-FLOW-08",), "['64']")
    assert none_of_a_decline(notices, None) == []       # profile 1.0 says nothing
