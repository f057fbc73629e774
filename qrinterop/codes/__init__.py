"""Codes: merchant-presented (EMV MPM) and consumer-presented (payment) codes."""
