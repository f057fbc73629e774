"""``qrinterop ics init | check``: write an institution's ICS and check it before certifying.

``check`` reports every problem at once, each with its line, because a person fixes the file
in one sitting; ``certify`` stops on the first. Heavy imports wait until a command runs, as in
the rest of the command line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from qrinterop.errors import UsageError
from qrinterop.report.visible import visible

if TYPE_CHECKING:
    from qrinterop.ics.model import Ics
    from qrinterop.profile import Profile


@click.group("ics")
def ics() -> None:
    """Write and check an ICS: what an institution implements and how to reach it (YAML)."""


@ics.command("init")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False),
              help="File to create (never overwritten). Default: standard output.")
def init_command(out: Path | None) -> None:
    """Write a commented ICS template to fill in.

    Replace its <...> placeholders, then run qrinterop ics check FILE.
    """
    from qrinterop.ics.loader import template

    profile = _profile()
    text = template(f"{profile.id}/{profile.version}", profile.features)
    if out is None:
        click.echo(text, nl=False)
        return
    _create(out, text)
    click.echo(f"Wrote {out}: replace every <...> placeholder, then run: "
               f"qrinterop ics check {out}")


@ics.command("check")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def check_command(file: Path, as_json: bool) -> None:
    """Check an ICS file: every problem, with its line.

    Checks the schema, the profile's optional features and the known defects; prints a
    summary when the file is valid, else one line per problem. Exit code 0 valid, 1 invalid,
    2 usage (e.g. no such file).
    """
    from qrinterop.ics.loader import check_ics, profile_for
    from qrinterop.ics.model import Ics
    from qrinterop.runner.bdd.suite import locate

    # features are checked against the profile the file names
    checked = check_ics(file, set(locate().defects()), set(profile_for(file).features))
    summary = _summary(Ics.from_document(checked.document, file.parent)) \
        if checked.valid and checked.document is not None else None
    if as_json:
        click.echo(json.dumps({"file": str(file), "valid": checked.valid,
                               "problems": [p.as_dict() for p in checked.problems],
                               "summary": summary}, ensure_ascii=False, indent=2))
    elif summary is None:
        click.echo(visible("\n".join(p.render(file) for p in checked.problems)))
    else:       # the name is the institution's to choose: its hidden characters shown
        click.echo(visible("\n".join(_summary_lines(file, summary))))
    sys.exit(0 if checked.valid else 1)


def _profile() -> Profile:
    """The default profile, whose features an ICS may declare."""
    from qrinterop.profile import ProfileError, load_profile

    try:
        return load_profile()
    except ProfileError as exc:
        raise UsageError(f"profile: {exc}") from None


def _create(out: Path, text: str) -> None:
    """Write a new file; an existing one may hold a filled-in ICS, so it is never replaced."""
    try:
        with out.open("x", encoding="utf-8") as stream:
            stream.write(text)
    except FileExistsError:
        raise UsageError(f"{out} already exists: not overwriting it "
                         "(remove it or choose another --out)") from None
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from None


def _summary(ics: Ics) -> dict:
    inst, sut = ics.institution, ics.sut
    return {"institution": {"id": inst.id, "name": inst.name}, "roles": list(inst.roles),
            "features": list(inst.features), "launch": sut.launch,
            "url": sut.url, "control_url": sut.control_url,
            "defects": list(sut.defects), "profile": ics.profile,
            "keys": [key.id for key in ics.keys],
            "accounts": [account.id for account in ics.accounts]}


def _summary_lines(file: Path, summary: dict) -> list[str]:
    inst = summary["institution"]
    launch = summary["launch"] + (f" (defects: {', '.join(summary['defects'])})"
                                  if summary["defects"] else "")
    if summary["url"]:
        launch += f", messages {summary['url']}, control {summary['control_url']}"
    keys = summary["keys"]
    return [f"ICS file {file}: valid (profile {summary['profile']})",
            f"  institution  {inst['id']} {inst['name']}",
            f"  roles        {', '.join(summary['roles'])}",
            f"  features     {', '.join(summary['features']) or 'none'}",
            f"  launch       {launch}",
            f"  keys         {', '.join(keys)} (signs with {keys[-1]})" if keys else
            "  keys         none (launch: reference makes one for the run)",
            f"  accounts     {', '.join(summary['accounts']) or 'none: opened as needed'}"]
