"""``qrinterop certify``: one certification run from ICS to report.

Order matters for the user: every input is checked before anything starts (exit 2 with the
problem named), the network is always torn down, and a report is written even when the SUT
never came up — an inconclusive run is still evidence.
"""

from __future__ import annotations

import platform
import secrets
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from queue import Empty, Queue
from typing import TYPE_CHECKING

from qrinterop import __version__
from qrinterop.errors import LaunchError, UsageError
from qrinterop.evidence.bundle import sign_manifest, write_manifest
from qrinterop.evidence.history import check_history, record
from qrinterop.evidence.keys import BundleKey, load_private
from qrinterop.evidence.masking import mask_known
from qrinterop.evidence.transcript import stamp
from qrinterop.ics.loader import load_ics, profile_for
from qrinterop.ics.model import Ics, as_dict
from qrinterop.inputs import loads_json, read_input
from qrinterop.judging.verdicts import ScenarioResult
from qrinterop.judging.waivers import apply_waivers, load_waivers
from qrinterop.profile import Profile
from qrinterop.protocol.bindings.base import DEFAULT_BINDING, carried_fields, known_bindings
from qrinterop.protocol.crypto import KeyFormatError, VerifyKey
from qrinterop.protocol.envelope import beijing_now
from qrinterop.report.document import Claims, build_report, write_report
from qrinterop.runner.bdd.behave_run import run_features
from qrinterop.runner.bdd.suite import Suite, locate
from qrinterop.runner.processes.network import Network, build_network, reference_signing_key
from qrinterop.runner.processes.services import check_launcher
from qrinterop.runner.scenarios.session import Session

if TYPE_CHECKING:
    from qrinterop.runner.capacity.engine import CapacityOptions

EXIT_CODES = {"conformant": 0, "not-conformant": 1, "inconclusive": 3}


@dataclass
class CertifyOptions:
    ics: Path | None = None
    out: Path | None = None
    tags: str | None = None
    base_port: int = 0
    defects: tuple[str, ...] = ()      # added to the ICS's own; used by selftest
    waivers: Path | None = None        # the waiver file
    jobs: int = 1                      # worker processes, each with its own network
    command: str = "qrinterop certify"
    sign_key: Path | None = None       # the bundle signing key (qrinterop keygen)
    history: Path | None = None        # the SQLite file of earlier runs
    peer_ics: Path | None = None       # a second institution, certified against the first
    fail_on: str = "any"               # any: exit 1 on any failure; regression: on new ones
    binding: str | None = None         # in place of the ICS's sut.binding; used by selftest
    capacity: CapacityOptions | None = None     # also a capacity run (certify --capacity)


@dataclass
class Outcome:
    report: dict
    run_dir: Path
    aborted: str | None = None      # why the run stopped before its end, if it did
    fail_on: str = "any"

    @property
    def exit_code(self) -> int:
        """By the verdict; with ``fail_on`` regression, a not-conformant run whose failures
        all failed the previous run too exits 0 (a nightly job fails on what is new)."""
        if self.fail_on == "regression" and self.report["verdict"] == "not-conformant" and \
                not self.report.get("history", {}).get("new_failures", [None]):
            return 0
        return EXIT_CODES[self.report["verdict"]]


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(2)}"


def default_run_dir(name: str) -> Path:
    """``reports/<name>`` under the current folder: a run's evidence belongs to whoever ran
    it, never inside the installed package or a source checkout the user is not in.
    Absolute, as a path the user gives is made: the simulators start in another folder."""
    return Path.cwd() / "reports" / name


def prepare_run_dir(path: Path) -> Path:
    """Create the run folder; it must be new or empty so that runs never mix."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        if any(path.iterdir()):
            raise UsageError(f"output folder {path} is not empty")
        probe = path / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"cannot write to output folder {path}: {exc.strerror}") from None
    return path


def harness_commit(root: Path) -> str | None:
    """The commit of the source checkout whose suite runs; None for a suite installed from a
    wheel, even in a virtual environment inside some repository's work tree, whose commit
    says nothing of what was installed."""
    try:
        done = subprocess.run(["git", "-C", str(root), "rev-parse", "--show-toplevel", "HEAD"],
                              capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    lines = done.stdout.splitlines() if done.returncode == 0 else []
    if len(lines) != 2 or Path(lines[0]).resolve() != root.resolve():
        return None
    return lines[1]


#: Verdicts a re-run of the failed scenarios takes up again.
NOT_PASSED = ("fail", "error", "inconclusive")


def failed_in(run_dir: Path) -> tuple[list[str], Path, tuple[str, ...]]:
    """The scenarios of an earlier run that did not pass (by test-case ID), with the ICS it
    certified and the defects it added; :class:`UsageError` if ``run_dir`` holds no report."""
    path = run_dir / "report.json"
    if not path.is_file():
        raise UsageError(f"--rerun-failed: {path} not found: not a run folder")
    try:
        report = loads_json(read_input(path, "report"))
        sut = report["run"]["sut"]
        failed = [s["id"] for s in report["scenarios"] if s["verdict"] in NOT_PASSED]
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise UsageError(f"--rerun-failed: {path} is not a qrinterop report: "
                         f"{type(exc).__name__}: {exc}") from None
    return failed, Path(sut["ics"]), tuple(sut.get("defects", ()))


def selecting(ids: list[str]) -> str:
    """A behave tag expression that selects exactly these test cases."""
    return " or ".join(f"@tc.{ident}" for ident in ids)


def load_inputs(options: CertifyOptions) -> tuple[Suite, Profile, Ics, Path]:
    suite = locate()
    ics_path = options.ics or suite.mocks / "reference-ics.yaml"
    profile = profile_for(ics_path)
    # An unknown defect name is refused when the network is built.
    ics = load_ics(ics_path, set(suite.defects()), set(profile.features))
    if options.binding:     # before the defects: a binding-specific one keeps its own
        if options.binding not in known_bindings(profile):
            raise UsageError(f"binding {options.binding!r} is not built for profile "
                             f"{profile.name} (built: {', '.join(known_bindings(profile))})")
        ics = replace(ics, sut=replace(ics.sut, binding=options.binding))
    ics = ics.with_defects(options.defects, suite.defects())
    try:
        check_launcher(ics)
    except UsageError as exc:
        raise UsageError(f"ICS file {ics_path}: {exc}") from None
    if ics.keys and ics.sut.is_reference:
        try:        # read again when the network is built; here so that nothing starts
            reference_signing_key(suite, ics)
        except UsageError as exc:
            raise UsageError(f"ICS file {ics_path}: {exc}") from None
    return suite, profile, ics, ics_path


@contextmanager
def running_network(suite: Suite, ics: Ics, run_dir: Path, base_port: int,
                    personas: tuple[str, ...] = (),
                    peer_ics: Ics | None = None,
                    switch_processes: int = 1) -> Iterator[Network]:
    """The simulated network around the SUT, started; stopped on leaving, whatever happens.
    Private keys live in a temporary folder that disappears with the network.
    ``switch_processes``: the simulated switch's (``build_network``)."""
    with tempfile.TemporaryDirectory(prefix="qrinterop-keys-") as key_dir:
        network = build_network(suite, ics, run_dir, Path(key_dir), base_port,
                                personas=personas, peer_ics=peer_ics,
                                switch_processes=switch_processes)
        with network.group:
            network.group.start_all()
            yield network


def certify(options: CertifyOptions,
            on_result: Callable[[ScenarioResult], None] = lambda _r: None,
            on_progress: Callable[[dict], None] = lambda _line: None) -> Outcome:
    """``on_progress``: each second of the capacity run, with ``options.capacity``."""
    suite, profile, ics, ics_path = load_inputs(options)
    if options.capacity:
        from qrinterop.runner.capacity.certification import check_capacity

        check_capacity(options.capacity, profile, ics)
    waivers = load_waivers(options.waivers, set(profile.requirements)) if options.waivers \
        else []
    today = beijing_now().date()

    def judged(result: ScenarioResult) -> None:
        apply_waivers([result], waivers, today)
        on_result(result)

    sign_key = signing_key(options.sign_key)
    peer = load_peer(options.peer_ics, suite, profile, ics)
    for who, its in (("an SUT", ics), ("a peer", peer)):
        if options.jobs > 1 and its and not its.sut.is_reference:
            raise UsageError(f"--jobs {options.jobs}: {who} started with launch: "
                             f"{its.sut.launch} is one instance on the ports its ICS "
                             "gives; run its scenarios with --jobs 1")
    if options.history is not None:
        check_history(options.history)
    run_id = new_run_id()
    run_dir = prepare_run_dir(options.out or default_run_dir(run_id))
    started, clock = time.time(), time.monotonic()
    if options.jobs > 1:
        results, aborted, exits = _in_workers(options, suite, run_dir, judged)
    else:
        results, aborted, exits = _in_this_process(options, suite, profile, ics, run_dir,
                                                   _rerun_prefix(options, ics_path), judged,
                                                   peer)
    capacity = _capacity(options, profile, ics, run_dir, on_progress) \
        if options.capacity and not aborted else None
    run = run_record(run_id, started, clock, options.command, options.tags, suite, profile,
                     (ics, ics_path), peer, sign_key)
    report = build_report(run, profile, results,
                          Claims.of(ics, carried_fields(profile, ics.sut.binding)), aborted,
                          covered=_coverage(suite),
                          waivers=[waiver.as_dict(today) for waiver in waivers],
                          sut_exits=exits, capacity=capacity)
    if options.history is not None:
        report["history"] = record(options.history, report, run_dir)
    seal(report, run_dir, suite, profile, sign_key,
         {"ics.yaml": (ics_path, ics),
          **({"peer-ics.yaml": (options.peer_ics, peer)} if peer and options.peer_ics else {})})
    return Outcome(report, run_dir, aborted, options.fail_on)


def _capacity(options: CertifyOptions, profile: Profile, ics: Ics, run_dir: Path,
              on_progress: Callable[[dict], None]) -> dict:
    """The judged capacity run of ``certify --capacity``, in a network of its own after the
    scenarios, its logs in the run folder's ``capacity/``."""
    # Here, not at the top: the capacity runner builds on this module.
    from qrinterop.runner.capacity.certification import judged_capacity

    assert options.capacity is not None
    opts = replace(options.capacity, ics=options.ics, defects=options.defects,
                   binding=options.binding)
    return judged_capacity(opts, profile, ics, run_dir / "capacity", on_progress)


def run_record(run_id: str, started: float, clock: float, command: str, selection: str | None,
               suite: Suite, profile: Profile, sut: tuple[Ics, Path], peer: Ics | None,
               sign_key: BundleKey | None) -> dict:
    """report.json's ``run``: what ran, when, against what, and how the bundle is signed."""
    ics, ics_path = sut
    return {
        "id": run_id, "started": stamp(started), "finished": stamp(time.time()),
        "duration_s": round(time.monotonic() - clock, 3), "command": command,
        "selection": selection,
        "harness": {"name": "qrinterop", "version": __version__,
                    "commit": harness_commit(suite.root)},
        "profile": {"id": profile.id, "version": profile.version,
                    "title": profile.manifest["title"]},
        "sut": described(ics, ics_path),
        "environment": {"python": platform.python_version(), "platform": platform.platform()},
        **({"peer": {"id": peer.institution.id, "name": peer.institution.name,
                     "launch": peer.sut.launch, "defects": list(peer.sut.defects)}}
           if peer else {}),
        "bundle": {"signed": False} if sign_key is None else
        {"signed": True, "alg": sign_key.algorithm, "key_id": sign_key.public.id},
    }


def seal(report: dict, run_dir: Path, suite: Suite, profile: Profile,
         sign_key: BundleKey | None, icss: dict[str, tuple[Path, Ics]]) -> None:
    """Write the report, keep the ICS files masked, list every file in the manifest and, with
    a key, sign it: the run folder becomes a bundle ``qrinterop verify`` checks."""
    write_report(report, run_dir)
    _keep_icss(run_dir, icss)
    write_manifest(run_dir, report["run"], profile.folder, suite.root / "vectors")
    if sign_key is not None:
        sign_manifest(run_dir, sign_key)


def described(ics: Ics, ics_path: Path) -> dict:
    """The SUT as the report and the manifest show it: who it is, what its ICS declares (its
    codes, terminal and keys, and how many test accounts it lists, never which), how it ran."""
    institution, launch = ics.institution, ics.sut
    return {"id": institution.id, "name": institution.name,
            "roles": list(institution.roles), "launch": launch.launch,
            "features": list(institution.features), "defects": list(launch.defects),
            "ics": str(ics_path.resolve()), "timing_scale": launch.timing_scale,
            "binding": launch.binding or DEFAULT_BINDING,
            "codes": as_dict(ics.codes) if ics.codes else {},
            "terminal": as_dict(ics.terminal) if ics.terminal else {},
            "keys": [{"id": key.id, "algorithm": key.algorithm,
                      "fingerprint": VerifyKey.load(key.public_key).id} for key in ics.keys],
            "accounts": len(ics.accounts)}


def _mask_artefacts(run_dir: Path, session: Session) -> None:
    """Mask every payment code and account reference the run's transcripts masked
    (R-SEC-06) in the Allure results and the services' logs too, once the services have
    stopped; the reports are written from results already masked (``Session.masked``)."""
    rule, secrets = session.mask_rule, session.secrets
    if rule is None or not secrets:
        return
    for path in [*run_dir.glob("allure-results/*"), *run_dir.glob("logs/*.log")]:
        text = path.read_text(encoding="utf-8", errors="replace")
        if (kept := str(rule.scrubbed(text, secrets))) != text:
            path.write_text(kept, encoding="utf-8")


def _keep_icss(run_dir: Path, icss: dict[str, tuple[Path, Ics]]) -> None:
    """Copy each ICS file into the bundle under its name there (what was certified), and mask
    every ICS's test accounts in those copies and in the services' logs."""
    accounts = [a.id for _path, ics in icss.values() for a in ics.accounts]
    for name, (path, _ics) in icss.items():
        (run_dir / name).write_text(mask_known(path.read_text(encoding="utf-8"), accounts),
                                    encoding="utf-8")
    for log in run_dir.glob("**/logs/*.log"):
        text = log.read_text(encoding="utf-8", errors="replace")
        if (kept := mask_known(text, accounts)) != text:
            log.write_text(kept, encoding="utf-8")


def load_peer(path: Path | None, suite: Suite, profile: Profile, ics: Ics) -> Ics | None:
    """The ICS of the institution to pair the SUT with (``--peer-ics``), launched as it says
    (the bundled reference, a command, a container or a URL), as issuer and acquirer under
    another ID. :class:`UsageError` otherwise."""
    if path is None:
        return None
    peer = load_ics(path, set(suite.defects()), set(profile.features))
    why = ("it must claim issuer and acquirer"
           if set(peer.institution.roles) != {"issuer", "acquirer"} else
           "it has the SUT's institution ID" if peer.institution.id == ics.institution.id
           else None)
    try:
        if why is None and peer.keys and peer.sut.is_reference:
            reference_signing_key(suite, peer)
        if why is None:
            check_launcher(peer)
    except UsageError as exc:
        why = str(exc)
    if why:
        raise UsageError(f"--peer-ics {path}: {why}")
    return peer


def signing_key(path: Path | None) -> BundleKey | None:
    if path is None:
        return None
    try:
        return load_private(path)
    except KeyFormatError as exc:
        raise UsageError(f"--sign-key {path}: {exc}") from None


def _rerun_prefix(options: CertifyOptions, ics_path: Path) -> str:
    """The command line that certifies this SUT again, to which a scenario adds its tag."""
    return options.command if options.ics is None else f"{options.command} --ics {ics_path}"


def _in_this_process(options: CertifyOptions, suite: Suite, profile: Profile, ics: Ics,
                     run_dir: Path, rerun: str, judged: Callable[[ScenarioResult], None],
                     peer: Ics | None,
                     ) -> tuple[list[ScenarioResult], str | None, list[dict]]:
    """Run the selected scenarios against one network; the results gathered so far, why the
    run stopped early if it did, and when the SUT's process ended if it did."""
    session: Session | None = None
    aborted = None
    features = suite.feature_files(options.tags)
    try:
        with running_network(suite, ics, run_dir, options.base_port, peer_ics=peer) as network:
            session = Session(profile, ics, network, run_dir, rerun, judged)
            run_features(features, session, options.tags, run_dir / "allure-results")
    except LaunchError as exc:
        aborted = f"The SUT or a simulator could not start: {exc}"
    except UsageError:
        raise                   # the command line's fault (a port taken): exit 2, no report
    except Exception as exc:    # a harness fault: keep what was gathered, say what broke
        aborted = f"Harness error, the run stopped: {type(exc).__name__}: {exc}"
    if session is not None:
        _mask_artefacts(run_dir, session)
    stopped = session.sut_stopped if session else None
    return (session.results if session else []), aborted, \
        [stopped.as_dict()] if stopped else []


def _in_workers(options: CertifyOptions, suite: Suite, run_dir: Path,
                judged: Callable[[ScenarioResult], None],
                ) -> tuple[list[ScenarioResult], str | None, list[dict]]:
    """Share the selected scenarios among ``options.jobs`` worker processes, each running
    its share against a network of its own in ``workers/<n>/`` (its transcripts, logs and
    Allure results) and sending each result as its scenario ends (the caller shows progress
    as it goes, and a worker that breaks loses none of what it sent); merge them in the
    suite's order, into the one report the caller writes. Scenarios are dealt round-robin,
    so the long ones of one feature file (next to each other) go to different workers."""
    order = suite.selected(options.tags)
    shares = [share for share in (order[n::options.jobs] for n in range(options.jobs)) if share]
    if not shares:
        return [], None, []     # the selection matches nothing: no scenario ran
    results: dict[str, ScenarioResult] = {}

    def take(n: int, scenario: dict) -> None:
        result = ScenarioResult(**scenario)
        if result.transcript:
            result.transcript = f"workers/{n}/{result.transcript}"
        results[result.id] = result
        judged(result)

    spawn = get_context("spawn")
    with spawn.Manager() as manager, \
            ProcessPoolExecutor(max_workers=len(shares), mp_context=spawn) as pool:
        ended = manager.Queue()
        futures = {pool.submit(_worker, replace(
            options, out=run_dir / "workers" / str(n), tags=selecting(share), jobs=1,
            waivers=None, sign_key=None, history=None,
            base_port=options.base_port + 20 * n if options.base_port else 0,
        ), ended, n): n for n, share in enumerate(shares)}
        _drain(ended, take, until=lambda: all(future.done() for future in futures))
        ends = {n: _worker_end(future) for future, n in futures.items()}
    stopped = [f"worker {n}: {aborted}" for n, (aborted, _exits) in ends.items() if aborted]
    exits = [stop for _aborted, worker_exits in ends.values() for stop in worker_exits]
    _gather_allure(run_dir)
    return [results[i] for i in order if i in results], "; ".join(stopped) or None, \
        sorted(exits, key=lambda e: e["at"])


def _drain(ended: Queue, take: Callable[[int, dict], None], until: Callable[[], bool]) -> None:
    """Hand each ``(worker, result)`` on the queue to ``take`` as it comes, until the workers
    are done and the queue is empty (a worker puts its last result before it returns)."""
    while True:
        try:
            take(*ended.get(timeout=0.2))
        except Empty:
            if until():
                break
    while True:
        try:
            take(*ended.get_nowait())
        except Empty:
            return


def _worker_end(future: Future) -> tuple[str | None, list[dict]]:
    """How a worker ended: why it stopped early (its process gone too: the results it sent
    are kept), and when its SUT ended. A usage error is the command line's: exit 2."""
    try:
        return future.result()
    except UsageError:
        raise
    except Exception as exc:
        return f"Harness error, the worker stopped: {type(exc).__name__}: {exc}", []


def _worker(options: CertifyOptions, ended: Queue, n: int) -> tuple[str | None, list[dict]]:
    """Worker ``n``'s share, run: each result put on ``ended`` as its scenario ends; returns
    why it stopped early, and when its SUT ended. No report of its own: a share judged alone
    is inconclusive (requirements of the other shares untested), and the run has one report,
    judged, written and signed by the parent."""
    suite, profile, ics, ics_path = load_inputs(options)
    peer = load_peer(options.peer_ics, suite, profile, ics)
    run_dir = prepare_run_dir(options.out or default_run_dir(new_run_id()))
    _results, aborted, exits = _in_this_process(
        options, suite, profile, ics, run_dir, _rerun_prefix(options, ics_path),
        lambda result: ended.put((n, result.as_dict())), peer)
    return aborted, exits


def _gather_allure(run_dir: Path) -> None:
    """Allure results of every worker in the run's own allure-results/ (their names are
    unique), where a CI template picks them up."""
    target = run_dir / "allure-results"
    target.mkdir(exist_ok=True)
    for folder in run_dir.glob("workers/*/allure-results"):
        for result in folder.iterdir():
            result.rename(target / result.name)
        folder.rmdir()


def _coverage(suite: Suite) -> set[str] | None:
    """Requirements the suite's scenarios cover; None (judge all) if the suite can't be read."""
    try:
        return set(suite.coverage())
    except Exception:       # a broken feature file was already reported as the run's fault
        return None
