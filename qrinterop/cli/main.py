"""The ``qrinterop`` command.

Every failure the user can cause ends in one line on stderr and a documented exit code:
2 for bad usage or unusable input, 3 when the run could not reach a verdict.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import click
from rich.markup import escape

from qrinterop import __version__
from qrinterop.cli.options import UserPath, port_option
from qrinterop.cli.terminal import STYLE, console
from qrinterop.errors import LaunchError, UsageError
from qrinterop.report.visible import visible

if TYPE_CHECKING:
    from qrinterop.judging.selftest import SelftestResult, VariantResult
    from qrinterop.judging.verdicts import ScenarioResult

# Commands import what they need when they run: `qrinterop lint --batch` should not pay for
# loading behave, the simulators' crypto and the report templates.




def show_result(result: ScenarioResult) -> None:
    """One line for a scenario that ran (two with why it failed); one that did not apply
    is left to :func:`not_applicable_line`, hundreds of lines saying the same few things."""
    if result.verdict == "not_applicable":
        return
    verdict = result.verdict.upper().replace("_", "-")
    # Failures quote what the SUT sent: its brackets are text, not the console's markup.
    console.print(f"  [{STYLE[result.verdict]}]{verdict:<14}[/] {result.id:<8} "
                  f"{escape(result.name)} [dim]({result.duration_s:.2f} s)[/]")
    if result.failure:
        console.print(f"{'':17}[red]{escape(str(result.failure['message']))}[/]")
    elif result.reason and result.verdict != "pass":
        console.print(f"{'':17}[dim]{escape(result.reason)}[/]")


def not_applicable_line(scenarios: list[dict]) -> str | None:
    """One line for every scenario of the report that did not apply, grouped by why, the
    most common reason first; None if all applied. The report lists them one by one."""
    reasons = Counter(s["reason"] for s in scenarios if s["verdict"] == "not_applicable")
    if not reasons:
        return None
    return f"{reasons.total()} not applicable: " + \
        "; ".join(f"{count} {reason}" for reason, count in reasons.most_common())


@contextmanager
def shown_as_they_end(total: Callable[[], int]) -> Iterator[Callable[[ScenarioResult], None]]:
    """What to call as each scenario ends: its line, and on a terminal a bar of how many of
    the ``total()`` selected have ended, below the lines. Elsewhere (CI logs, tests reading
    the output) plain lines only. ``total`` is asked when the first scenario ends: counting
    reads the suite, which must not delay the one-line refusal of a bad input."""
    if not console.is_terminal:
        yield show_result
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    # behave swaps sys.stdout while it captures: the bar writes to the console's own file.
    with Progress(BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                  transient=True, redirect_stdout=False, redirect_stderr=False) as bar:
        task = bar.add_task("scenarios", total=None)

        def shown(result: ScenarioResult) -> None:
            show_result(result)
            if bar.tasks[task].total is None:
                bar.update(task, total=total())
            bar.advance(task)

        yield shown


def _checked_tags(_ctx: click.Context, _param: click.Parameter, tags: str | None) -> str | None:
    """A --tags expression that does not parse is a usage error, before anything starts."""
    if tags:
        from qrinterop.runner.bdd.suite import tag_expression

        tag_expression(tags)
    return tags




@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="qrinterop")
def cli() -> None:
    """Conformance and interoperability harness for interconnected QR-code payments."""


@cli.command("certify")
@click.option("--ics", type=UserPath(dir_okay=False),
              help="The institution's ICS (YAML). Default: the bundled reference institution.")
@click.option("--out", type=UserPath(file_okay=False),
              help="Run folder to create. Default: reports/<run-id>/ in the current folder.")
@click.option("--tags", metavar="EXPR", callback=_checked_tags,
              help="Run only scenarios matching this behave tag expression: a test case "
                   "(@tc.CPM-01), a requirement (@req.R-FLOW-07), an area (@area.refund), "
                   "combined with and, or, not.")
@click.option("--rerun-failed", "rerun", metavar="RUN_DIR",
              type=UserPath(file_okay=False),
              help="Run again only the scenarios that failed (or were inconclusive or in "
                   "error) in that earlier run, with its ICS unless --ics is given.")
@click.option("--waivers", type=UserPath(dir_okay=False),
              help="YAML waiver file: requirements whose failures an approver accepts until "
                   "a date (qrinterop/judging/waivers.schema.json).")
@click.option("--jobs", "-j", type=click.IntRange(1, 32), default=1, show_default=True,
              help="Worker processes, each with its own simulated network, sharing the "
                   "scenarios; one report.")
@click.option("--sign-key", type=UserPath(dir_okay=False),
              help="Sign the run folder's manifest with this key (qrinterop keygen), so "
                   "that qrinterop verify can check the bundle.")
@click.option("--peer-ics", type=UserPath(dir_okay=False),
              help="A second institution's ICS (launch: reference, issuer and acquirer) to "
                   "certify against the SUT, in the place of the simulated peer.")
@click.option("--history", type=UserPath(dir_okay=False),
              help="SQLite file of earlier runs (created if missing): the report says what "
                   "changed since the previous run of the same SUT.")
@click.option("--fail-on", type=click.Choice(["any", "regression"]), default="any",
              show_default=True,
              help="regression (with --history): exit 1 only when a scenario that passed in "
                   "the previous run fails now.")
@click.option("--capacity", "with_capacity", is_flag=True,
              help="Also certify the capacity the ICS declares (capacity.peak_tps for "
                   "capacity.duration_s, as qrinterop capacity does), in the same report and "
                   "verdict.")
@port_option
def certify_command(ics: Path | None, out: Path | None, tags: str | None, rerun: Path | None,
                    waivers: Path | None, jobs: int, sign_key: Path | None,
                    history: Path | None, fail_on: str, peer_ics: Path | None,
                    with_capacity: bool, base_port: int) -> None:
    """Certify an institution against the interconnection profile.

    Exit code 0 conformant, 1 not conformant, 2 usage or configuration error,
    3 inconclusive or harness error.
    """
    from qrinterop.cli.capacity import live_line, show_capacity
    from qrinterop.runner.bdd.suite import locate
    from qrinterop.runner.capacity.engine import CapacityOptions
    from qrinterop.runner.certify import CertifyOptions, certify, failed_in, selecting

    if fail_on == "regression" and history is None:
        raise UsageError("--fail-on regression compares with the previous run: give --history DB")
    defects: tuple[str, ...] = ()
    if rerun is not None:
        if tags:
            raise UsageError("--rerun-failed chooses the scenarios itself: leave out --tags")
        failed, earlier_ics, defects = failed_in(rerun)
        if not failed:
            console.print(f"Nothing to re-run: every scenario of {rerun} passed or did not apply.")
            sys.exit(0)
        ics, tags = ics or earlier_ics, selecting(failed)
        console.print(f"Re-running {len(failed)} scenario(s) of {rerun}: {', '.join(failed)}")
    console.print(f"qrinterop {__version__}: certifying "
                  f"{ics or 'the bundled reference institution'}")
    capacity = CapacityOptions() if with_capacity else None
    with shown_as_they_end(lambda: len(locate().selected(tags))) as shown, \
            live_line() as live:
        outcome = certify(CertifyOptions(ics=ics, out=out, tags=tags, base_port=base_port,
                                         defects=defects, waivers=waivers, jobs=jobs,
                                         command="qrinterop certify", sign_key=sign_key,
                                         history=history, fail_on=fail_on, peer_ics=peer_ics,
                                         capacity=capacity),
                          on_result=shown, on_progress=live)
    if capacity:
        show_capacity(outcome.report["capacity"])
    report = outcome.report
    if outcome.aborted:
        _error_line(outcome.aborted)
    if skipped := not_applicable_line(report["scenarios"]):
        console.print(f"[dim]{escape(skipped)}[/]")
    summary = ", ".join(f"{n} {v}" for v, n in report["summary"].items() if n)
    console.print(f"\n[{STYLE[report['verdict']]}]"
                  f"Verdict: {report['verdict']}[/] — {escape(report['verdict_reason'])}")
    console.print(f"Scenarios: {summary or 'none'}")
    if changes := report.get("history"):
        console.print(f"Since {changes['previous_run'] or 'no earlier run'}: "
                      + "; ".join(f"{label} {', '.join(changes[key]) or 'none'}"
                                  for key, label in (("new_failures", "new failures"),
                                                     ("fixed", "fixed"), ("flaky", "flaky"))))
    console.print(f"Report: {outcome.run_dir / 'report.html'}")
    sys.exit(outcome.exit_code)


@cli.command("lint")
@click.argument("payload", required=False)
@click.option("--image", "image_path", type=click.Path(path_type=Path, dir_okay=False),
              help="A PNG or JPEG holding one QR code.")
@click.option("--batch", "batch", type=click.File("rb"),
              help="A file with one payload per line, or - for standard input.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (JSON Lines with --batch).")
@click.option("--strict", is_flag=True,
              help="Treat every warning as an error: policy choices the specification leaves "
                   "open, and its 'should' rules.")
def lint_command(payload: str | None, image_path: Path | None, batch: BinaryIO | None,
                 as_json: bool, strict: bool) -> None:
    """Check a merchant code, payment code, collection URL or QR image against the profile.

    Every finding names the requirement it breaks. Exit code 0 when every input is valid,
    1 when any is invalid, 2 for usage errors.
    """
    from qrinterop.cli import lint as lint_cli
    from qrinterop.codes.findings import Policy

    given = [x for x in (payload, image_path, batch) if x is not None]
    if len(given) != 1:
        raise UsageError("give exactly one of PAYLOAD, --image FILE or --batch FILE")
    policy, table = Policy(strict=strict), lint_cli.routing_table()
    if batch is not None:
        sys.exit(0 if lint_cli.lint_batch(lint_cli.batch_lines(batch), sys.stdout, table,
                                          policy, as_json) else 1)
    if image_path is not None:
        result = lint_cli.lint_image(image_path, table, policy)
    else:
        assert payload is not None      # exactly one of the three was given
        result = lint_cli.lint_text(payload, table, policy)
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(visible("\n".join(lint_cli.human_report(result))))  # the code's own text
    sys.exit(0 if result.valid else 1)


@cli.command("selftest")
@click.option("--out", type=UserPath(file_okay=False),
              help="Folder for the runs. "
                   "Default: reports/selftest-<run-id>/ in the current folder.")
@click.option("--jobs", "-j", type=click.IntRange(1, 32), default=6, show_default=True,
              help="Certifications run at once, each in its own process with its own network.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the matrix as JSON instead of a line per variant.")
@click.option("--conformance", type=UserPath(dir_okay=False),
              help="Also write the requirement → scenarios → defects page here "
                   "(docs/CONFORMANCE.md).")
@click.option("--defects", "names", metavar="NAMES",
              help="Only these defects (comma-separated names or shell patterns, e.g. "
                   "'switch-*'), without the references.")
@click.option("--sample", type=click.IntRange(1), metavar="N",
              help="Only N defects drawn at random (after --defects), without the references.")
@click.option("--seed", default=lambda: time.strftime("%Y-%m-%d"),
              show_default="today's date",
              help="What --sample draws with: a nightly run covers the catalogue in turn.")
@click.option("--binding", type=click.Choice(["qrinterop-json", "unionpay-qrc"]),
              help="Every reference and variant speaks this wire binding (a "
                   "binding-specific defect keeps its own); a defect whose catching "
                   "scenarios do not apply on that wire is reported as not applying.")
@port_option
def selftest_command(out: Path | None, jobs: int, as_json: bool, conformance: Path | None,
                     names: str | None, sample: int | None, seed: str, binding: str | None,
                     base_port: int) -> None:
    """Certify every deliberately defective variant of the reference institution.

    Exit code 0 only if the reference is conformant, every defect gets its expected verdict
    with the scenarios that must catch it failing, and every scenario catches some defect.
    With --defects or --sample, only those defects, each caught.
    """
    from qrinterop.runner.bdd.suite import locate
    from qrinterop.runner.selftest import choose, selftest

    only = choose(list(locate().defects()), names, sample, seed)
    if (only is not None or binding is not None) and conformance is not None:
        raise UsageError("--conformance: the page is written from a whole selftest in the "
                         "ICS's own binding, not with --defects, --sample or --binding")

    if as_json:
        console.quiet = True

    def show(variant: VariantResult) -> None:
        mark = "[green]caught[/]" if variant.ok else "[bold red]MISSED[/]"
        if variant.off_wire:
            mark = "[dim]n/a on wire[/]"
        if variant.defect is None:
            mark = "[green]ok[/]" if variant.ok else "[bold red]NOT CONFORMANT[/]"
        console.print(f"  {mark:<24} {variant.name:<28} "
                      f"verdict {variant.verdict:<15} failed: {', '.join(variant.failed) or '-'}")
        if variant.why_not:
            console.print(f"  {'':<15} not caught: {variant.why_not}", markup=False)
        if variant.retried:
            console.print(f"  {'':<15} [yellow]certified twice[/]: the first attempt was "
                          f"{variant.retried['verdict']}, failed: "
                          f"{', '.join(variant.retried['failed']) or '-'}")

    console.print("qrinterop selftest: certifying the references and their defects"
                  if only is None
                  else f"qrinterop selftest: certifying {len(only)} of the defects")
    started = time.monotonic()
    result = selftest(out=out, base_port=base_port, jobs=jobs, on_variant=show, only=only,
                      binding=binding)
    if conformance is not None:
        _write_conformance(conformance, result, time.monotonic() - started)
    if as_json:
        print(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    for scenario, defects in result.rechecked.items():
        console.print(f"[yellow]{scenario} failed only when certified again[/], against "
                      f"{', '.join(defects)}: a flaky scenario")
    if result.never_failed:
        console.print(f"[bold red]Scenarios no defect made fail: "
                      f"{', '.join(result.never_failed)}[/]")
    missed = [v.name for v in result.variants if not v.ok]
    console.print("\n[bold green]Every defect was caught.[/]" if result.ok else
                  f"\n[bold red]Selftest failed: {', '.join(missed) or 'uncaught scenarios'}[/]")
    sys.exit(0 if result.ok else 1)


@cli.command("serve")
@click.option("--ics", type=UserPath(dir_okay=False),
              help="ICS of the institution to run as the SUT. Default: the reference.")
@click.option("--out", type=UserPath(file_okay=False),
              help="Folder for logs, state and public keys. "
                   "Default: reports/serve-<run-id>/ in the current folder.")
@click.option("--persona", "personas", multiple=True, metavar="NAME",
              help="Run only this peer (repeatable; names in mocks/network.json). "
                   "Default: every peer.")
@click.option("--defect", "defects", multiple=True, metavar="NAME",
              help="Serve this deliberately defective variant of the reference institution "
                   "as the SUT (repeatable; names in mocks/defects.json).")
@port_option
def serve_command(ics: Path | None, out: Path | None, personas: tuple[str, ...],
                  defects: tuple[str, ...], base_port: int) -> None:
    """Run the simulated switch, the reference institution and its peers until Ctrl-C.

    For developing against the simulators: every participant listens on 127.0.0.1 and
    exposes its test-control API under /control/ and its message endpoint at /messages.
    Every message the switch sees is printed on one line as it passes.
    """
    from qrinterop.runner.certify import (
        CertifyOptions,
        default_run_dir,
        load_inputs,
        new_run_id,
        prepare_run_dir,
        running_network,
    )
    from qrinterop.runner.scenarios.clients import TapClient
    from qrinterop.runner.serve import describe, follow

    suite, profile, ics_doc, _path = load_inputs(CertifyOptions(ics=ics, defects=defects))
    unknown = set(ics_doc.sut.defects) - set(suite.defects())
    if unknown:
        raise UsageError(f"unknown defect {', '.join(sorted(unknown))}: "
                         f"see mocks/defects.json or qrinterop selftest")
    run_dir = prepare_run_dir(out or default_run_dir(f"serve-{new_run_id()}"))
    with running_network(suite, ics_doc, run_dir, base_port, personas) as network:
        # Ctrl-C may come as soon as the prompt is out: the prompt is inside the try.
        try:
            tap = TapClient(network.switch.control_url,
                            profile.timing["upper_tester_timeout_s"])
            for line in describe(network, run_dir):
                console.print(line, markup=False, highlight=False)
            if ics_doc.sut.defects:
                console.print(f"The SUT has the defects: {', '.join(ics_doc.sut.defects)}")
            console.print(f"Logs and state: {run_dir}\nPress Ctrl-C to stop.\n")
            follow(tap, lambda line: console.print(line, markup=False, highlight=False))
        except KeyboardInterrupt:
            console.print("Stopping.")


def _write_conformance(path: Path, result: SelftestResult, wall_s: float) -> None:
    from qrinterop.profile import load_profile
    from qrinterop.report.conformance import conformance_page, keep_measured
    from qrinterop.runner.bdd.suite import locate

    try:
        suite = locate()
        old = path.read_text(encoding="utf-8") if path.is_file() else ""
        page = conformance_page(load_profile(), suite.coverage(), result, wall_s,
                                suite.behaviours())
        path.write_text(keep_measured(old, page), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--conformance: cannot write {path}: {exc.strerror}") from None
    console.print(f"Wrote {path}")


def _register_groups() -> None:
    from qrinterop.cli.bundle import keygen, matrix_command, report_group, verify_command
    from qrinterop.cli.capacity import capacity_command, capacity_worker_command
    from qrinterop.cli.ics import ics as ics_group
    from qrinterop.cli.msg import msg as msg_group
    from qrinterop.cli.profile import profile_group
    from qrinterop.cli.reconcile import reconcile
    from qrinterop.cli.suite_lint import suite_group

    cli.add_command(reconcile)
    cli.add_command(capacity_command)
    cli.add_command(capacity_worker_command)
    cli.add_command(keygen)
    cli.add_command(verify_command)
    cli.add_command(matrix_command)
    cli.add_command(report_group)
    cli.add_command(ics_group)
    cli.add_command(msg_group)
    cli.add_command(profile_group)
    cli.add_command(suite_group)


_register_groups()


def _terminate(_signum: int, _frame: object) -> None:
    # SystemExit unwinds through every ``with`` block, so the services are stopped.
    raise SystemExit(3)


def main(args: list[str] | None = None) -> None:
    signal.signal(signal.SIGTERM, _terminate)
    # Started from a background job (``cmd &`` in a script, nohup), a process inherits SIGINT
    # ignored, and Python then leaves it so: Ctrl-C (or a supervisor's SIGINT) must still stop
    # the harness and its services.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        sys.exit(cli.main(args=args, prog_name="qrinterop", standalone_mode=False) or 0)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        _fail("interrupted", 3)
    except click.ClickException as exc:
        _fail(exc.format_message(), 2)
    except (UsageError, LaunchError) as exc:
        _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted", 3)
    except Exception as exc:
        if os.environ.get("QRINTEROP_DEBUG"):
            raise
        _fail(f"internal error: {type(exc).__name__}: {exc} "
              "(set QRINTEROP_DEBUG=1 to see where)", 3)


def _fail(message: str, code: int) -> None:
    _error_line(message)
    sys.exit(code)


def _error_line(message: str) -> None:
    """One line on stderr; what it quotes of a file or an SUT shows its hidden characters."""
    print(f"qrinterop: error: {visible(message)}", file=sys.stderr)
