"""Failures that end a run before or outside the scenarios, each with its exit code."""

from __future__ import annotations


class UsageError(Exception):
    """Bad options or unusable input files: exit code 2."""

    exit_code = 2


class LaunchError(Exception):
    """The SUT or a simulator could not be started: the run is inconclusive, exit code 3."""

    exit_code = 3


class SutUnreachable(Exception):
    """The SUT did not answer a test-control call (connection refused, reset or timed out)."""
