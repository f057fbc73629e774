"""Checks: pure functions over what was observed (transcript records, books, reconciliation
files) and the profile, each naming the requirement it verifies. No I/O, no network."""
