"""The profile's timing as a test environment runs it."""

from __future__ import annotations

import pytest

from qrinterop.profile import load_profile


def test_a_timing_scale_shortens_waits_but_never_network_timeouts():
    profile = load_profile()
    assert profile.seconds("query_first_delay_s", 0.1) == pytest.approx(0.1)
    assert profile.seconds("payment_code_validity_s", 0.1) == pytest.approx(6)
    assert profile.seconds("switch_response_timeout_s", 0.1) == profile.timing[
        "switch_response_timeout_s"]
    assert profile.seconds("participant_request_timeout_s") == 15
