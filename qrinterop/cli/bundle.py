"""``qrinterop keygen``, ``verify``, ``matrix`` and ``report allure``: make a key that signs
report bundles, check a bundle offline (a run folder, or a ``.tar.gz`` of it), set bundles
side by side, and render a run's Allure results.

``verify`` prints every check it made and exits 0 when all hold and the manifest is signed by
a trusted key, 1 when one does not hold (naming the file or transcript record at fault, or the
archive entry that made it refuse to unpack it), 2 when its own input is unusable (no such
path, no manifest in it: not a bundle), 3 when the bundle is intact but unsigned (no
``manifest.sig``: every hash and chain holds, who made it is not proven).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import yaml

from qrinterop.cli.options import UserPath
from qrinterop.errors import UsageError
from qrinterop.evidence.bundle import (
    NOT_VERIFIED,
    UNSIGNED,
    VERIFIED,
    BundleError,
    Check,
    NotABundle,
    opened,
    outcome,
    verify,
)
from qrinterop.evidence.keys import BUNDLE_ALGORITHMS, ED25519, generate, load_public
from qrinterop.inputs import MAX_HANDWRITTEN_BYTES, read_input
from qrinterop.protocol.crypto import KeyFormatError
from qrinterop.report.allure import render
from qrinterop.report.visible import one_line, visible


@click.command("keygen")
@click.argument("prefix", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--alg", type=click.Choice(BUNDLE_ALGORITHMS), default=ED25519, show_default=True,
              help="Signature algorithm.")
def keygen(prefix: Path, alg: str) -> None:
    """Make a bundle signing key: PREFIX.key.pem (private, owner-only) and PREFIX.pub.pem
    (give it to whoever verifies). Prints the key ID."""
    private, public = Path(f"{prefix}.key.pem"), Path(f"{prefix}.pub.pem")
    if private.exists() or public.exists():
        raise UsageError(f"{private} or {public} exists already: choose another prefix")
    key = generate(alg)
    try:
        key.save(private)
        public.write_bytes(key.public.pem)
    except OSError as exc:
        raise UsageError(f"cannot write {prefix}.*.pem: {exc.strerror}") from None
    click.echo(f"{alg} key {key.public.id}: private {private}, public {public}")


@click.command("verify")
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("--trust", "trust", multiple=True, type=click.Path(path_type=Path, dir_okay=False),
              help="A trusted public key (PEM); repeat for several.")
@click.option("--approved", type=click.Path(path_type=Path, dir_okay=False),
              help="YAML or JSON list of approved releases: harness: [versions], "
                   "profiles: [id/version].")
def verify_command(bundle: Path, trust: tuple[Path, ...], approved: Path | None) -> None:
    """Check a report BUNDLE (a run folder or a .tar.gz of one) offline: every file's hash,
    every transcript's chain, the manifest's signature against trusted keys, and that the
    harness release and profile are approved."""
    if not bundle.exists():
        raise UsageError(f"{bundle}: no such bundle")
    keys = _trusted(trust)
    allowed = _approved(approved) if approved else None
    try:
        with opened(bundle) as folder:
            checks = verify(folder, keys, allowed)
    except NotABundle as exc:
        raise UsageError(one_line(str(exc))) from None
    except BundleError as exc:          # an archive too unsafe to unpack: not verified
        checks = [Check("archive", False, str(exc))]
    for check in checks:
        mark = "FAIL" if not check.ok else "note" if check.unsigned else "ok  "
        click.echo(one_line(f"{mark}  {check.name}: {check.detail}"))
    state = outcome(checks)
    click.echo(f"\nBundle {state}: {one_line(str(bundle))}")
    sys.exit(EXIT_CODES[state])


#: ``verify``'s exit code for each state of a bundle (2 is an unusable input: UsageError).
EXIT_CODES = {VERIFIED: 0, NOT_VERIFIED: 1, UNSIGNED: 3}


def _approved(path: Path) -> dict:
    try:
        data = yaml.safe_load(read_input(path, "--approved", MAX_HANDWRITTEN_BYTES))
    except (OSError, yaml.YAMLError) as exc:
        raise UsageError(f"--approved {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if not isinstance(data, dict) or not all(isinstance(data.get(k, []), list)
                                             for k in ("harness", "profiles")):
        raise UsageError(f"--approved {path}: expected harness: [...] and profiles: [...]")
    return data



@click.command("matrix")
@click.argument("bundles", nargs=-1, required=True, type=UserPath())
@click.option("--out", required=True, type=UserPath(file_okay=False),
              help="Folder for matrix.html and matrix.json.")
@click.option("--trust", "trust", multiple=True, type=UserPath(dir_okay=False),
              help="A trusted public key (PEM) to verify the bundles with; repeat for several.")
def matrix_command(bundles: tuple[Path, ...], out: Path, trust: tuple[Path, ...]) -> None:
    """Institutions (one row per BUNDLE) × requirement areas, with each bundle's verdict and
    whether it verifies: matrix.html and matrix.json in --out."""
    from qrinterop.report.matrix import row_of, write_matrix

    keys = _trusted(trust)
    missing = [str(path) for path in bundles if not path.exists()]
    if missing:
        raise UsageError(f"no such bundle: {', '.join(missing)}")
    try:
        rows = [row_of(path, keys) for path in bundles]
    except (BundleError, OSError, ValueError, KeyError) as exc:
        raise UsageError(f"not a report bundle: {exc}") from None
    json_path, html_path = write_matrix(rows, out)
    for row in rows:
        defects = f" (defects: {', '.join(row.institution['defects'])})" \
            if row.institution["defects"] else ""
        click.echo(visible(f"{row.verdict:<15} {row.institution['id']} "
                           f"{row.institution['name']}{defects}: {row.verified}"))
    click.echo(f"Matrix: {html_path} and {json_path}")


def _trusted(trust: tuple[Path, ...]) -> list:
    try:
        return [load_public(path) for path in trust]
    except KeyFormatError as exc:
        raise UsageError(f"--trust: {exc}") from None


@click.group("report")
def report_group() -> None:
    """Render a run's results in other forms."""


@report_group.command("allure")
@click.argument("run_dir", type=UserPath(file_okay=False))
@click.option("--out", type=UserPath(file_okay=False),
              help="Folder for the HTML report. Default: RUN_DIR-allure beside the run folder "
                   "(a file added inside would no longer match the bundle's manifest).")
@click.option("--also", "also", multiple=True, type=UserPath(file_okay=False),
              help="Another folder of Allure results to include, e.g. the harness's own tests' "
                   "(pytest --alluredir DIR); repeatable.")
def allure_command(run_dir: Path, out: Path | None, also: tuple[Path, ...]) -> None:
    """Render RUN_DIR's Allure results, and any --also, as one self-contained Allure page
    (OUT/index.html), with the Allure command line (optional: npm install -g allure)."""
    results = [run_dir / "allure-results", *also]
    for folder in results:
        if not folder.is_dir():
            raise UsageError(f"{folder}: no such folder of Allure results"
                             + (" (is RUN_DIR a run folder?)" if folder == results[0] else ""))
    folder = run_dir.resolve()
    out = out or folder.with_name(f"{folder.name}-allure")
    page = render(results, out, f"qrinterop {_run_name(run_dir)}")
    click.echo(f"Allure report: {page}")


def _run_name(run_dir: Path) -> str:
    """The run's ID and SUT, from its report.json, else the folder's name."""
    try:
        run = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))["run"]
        return f"{run['id']} · {run['sut']['name']}"
    except (OSError, ValueError, KeyError, TypeError, RecursionError):    # junk: no name
        return run_dir.name
