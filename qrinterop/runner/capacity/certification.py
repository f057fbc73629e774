"""A capacity run judged, and, for ``qrinterop capacity``, made a bundle of its own as a
certification is: report.json with the judged ``capacity`` section, report.html with its
charts, junit.xml, the ICS, the manifest and its signature. ``certify --capacity`` folds the
same judged section into the certification's report instead (``runner/certify.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from qrinterop.errors import LaunchError, UsageError
from qrinterop.ics.model import Ics
from qrinterop.judging.capacity import judge
from qrinterop.profile import Profile
from qrinterop.report.capacity import capacity_report
from qrinterop.runner.capacity.engine import (
    CapacityOptions,
    capacity_network,
    inputs_of,
    plan_of,
    run_capacity,
)
from qrinterop.runner.capacity.section import aborted_section
from qrinterop.runner.certify import (
    Outcome,
    default_run_dir,
    load_inputs,
    new_run_id,
    prepare_run_dir,
    run_record,
    seal,
    signing_key,
)


def check_capacity(options: CapacityOptions, profile: Profile, ics: Ics) -> None:
    """What makes a capacity run impossible, said before anything starts (one line, exit 2)."""
    if not profile.capacity:
        raise UsageError(f"profile {profile.name} has no capacity requirements "
                         "(capacity.json): certify against cn-interconnect/1.1 or later")
    if ics.institution.is_switch:
        raise UsageError("capacity runs certify an issuer or acquirer; a switch SUT is not "
                         "supported yet")
    plan_of(options, ics, profile)


def judged_capacity(options: CapacityOptions, profile: Profile, ics: Ics, run_dir: Path,
                    on_progress: Callable[[dict], None]) -> dict:
    """One capacity run against the ICS's SUT in a network of its own, judged against the
    profile's limits and the ICS's declared error share. An SUT that never starts makes it
    inconclusive, saying why; the run folder keeps the services' logs either way."""
    try:
        with capacity_network(options, run_dir) as network:
            measured = run_capacity(options, network, run_dir, on_progress)
    except LaunchError as exc:
        measured = aborted_section(plan_of(options, ics, profile),
                                   options.workers + options.remote_workers, str(exc))
    return judge(measured, profile.capacity, ics.capacity.error_rate if ics.capacity else 0.0)


def capacity(options: CapacityOptions,
             on_progress: Callable[[dict], None] = lambda _line: None) -> Outcome:
    """``qrinterop capacity``: every input checked before anything starts, then the run,
    then its bundle."""
    suite, profile, ics, ics_path = load_inputs(inputs_of(options))
    check_capacity(options, profile, ics)
    sign_key = signing_key(options.sign_key)
    run_id = new_run_id()
    run_dir = prepare_run_dir(options.out or default_run_dir(run_id))
    started, clock = time.time(), time.monotonic()
    section = judged_capacity(options, profile, ics, run_dir, on_progress)
    run = run_record(run_id, started, clock, options.command, None, suite, profile,
                     (ics, ics_path), None, sign_key)
    report = capacity_report(run, profile, section)
    seal(report, run_dir, suite, profile, sign_key, {"ics.yaml": (ics_path, ics)})
    return Outcome(report, run_dir, section.get("aborted"))
