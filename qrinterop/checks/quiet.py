"""What must not happen: windows in which the SUT is to stay silent. The caller watches for
as long as the profile gives the SUT to act (waiting is not a check's business) and hands
over what was seen. (That it sent nothing at all is ``wire.nothing_sent``.)
"""

from __future__ import annotations

from qrinterop.checks.correlation import Exchange
from qrinterop.checks.outcome import Violation, check, unequal
from qrinterop.checks.timing import QUERY, REVERSAL


@check("R-FLOW-02")
def left_alone(exchanges: list[Exchange]) -> list[Violation]:
    """A purchase the switch gave a final answer is neither queried nor reversed: the SUT
    takes a decline at its word. ``exchanges``: the purchase's (``correlation.of_purchase``)."""
    followed = [e.request.msg_type for e in exchanges if e.msg_type in (QUERY, REVERSAL)]
    return unequal("SUT's queries and reversals of a declined purchase", followed, [])
