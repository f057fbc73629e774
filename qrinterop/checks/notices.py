"""Result and collection notices: the switch sends one when a transaction is final and again
on the profile's schedule (timing.json ``schedules.notification_retry``) until a
participant acknowledges it with 00; a participant acknowledges every copy (R-FLOW-08).
"""

from __future__ import annotations

from qrinterop.checks.correlation import Exchange
from qrinterop.checks.outcome import Violation, check, unequal, unless


@check("R-FLOW-08")
def acknowledged(notices: list[Exchange], expected: list[str],
                 receiver: str = "the SUT") -> list[Violation]:
    """One notice per expected answer, and each answered so, in order. ``notices``: those
    about one transaction (``correlation.of_type``), with their answers."""
    kind = notices[0].msg_type if notices else "notice"
    return unequal(f"{kind} notices sent to {receiver}", len(notices), len(expected)) + \
        unequal(f"{receiver}'s acknowledgements", [n.code for n in notices], expected)


@check("R-FLOW-08")
def resent(notices: list[Exchange], delay_s: float, grace_s: float,
           receiver: str = "the peer") -> list[Violation]:
    """A notice left unacknowledged sent again, once so far, no sooner than ``delay_s``
    after the first copy less ``grace_s``: the times are those of arrival, and the first
    copy may have been the slower to arrive."""
    sent = [n.request.at for n in notices]
    found = unequal(f"result notices sent to {receiver}", len(sent), 2)
    if len(sent) < 2:
        return found
    gap = sent[1] - sent[0]
    return found + unless(gap >= delay_s - grace_s, "time between the two copies",
                          f"no sooner than {delay_s:g} s", f"{gap:.3f} s")


@check("R-FLOW-08")
def none_of_a_decline(notices: list[Exchange], declines_notified: bool | None,
                      receiver: str = "the peer") -> list[Violation]:
    """UnionPay notifies approvals only (「支付失败的交易银联不会发送后台通知」): where the
    profile says so (``declines_notified`` False: business.json
    cpm_purchase.declines_notified), a declined purchase gets no result notice, which an
    acquirer built to that rule would take for an approval. A profile that says nothing
    (None: 1.0) expects nothing either way. ``notices``: those about the purchase."""
    if declines_notified is not False:
        return []
    return unequal(f"result notices of a declined purchase sent to {receiver} (origRespCode)",
                   [n.request.body.get("origRespCode") for n in notices], [])
