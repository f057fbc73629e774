"""Simulated institutions and switch: the lower tester, and the reference institution."""
