"""``qrinterop reconcile STATEMENT BOOKS``: set an institution's books beside the switch's
reconciliation file, offline, the way scenario RCN-01 does on a live network.

STATEMENT is a reconciliation file (``reconciliation.schema.json``: what the switch's
``/sim/reconciliation/ID`` serves); BOOKS is what the institution's test-control API lists for
the day (``GET /control/transactions?settleDate=MMDD``: the object, or its ``transactions``
array). A file that is missing, is not JSON or breaks its schema is unusable input: one line,
exit code 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from qrinterop.errors import UsageError
from qrinterop.inputs import load_json


@click.command("reconcile")
@click.argument("statement", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("books", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the disagreements as JSON.")
def reconcile(statement: Path, books: Path, as_json: bool) -> None:
    """Compare an institution's BOOKS for a day with the switch's reconciliation STATEMENT.

    Exit code 0 when they agree, 1 when they do not (one line per disagreement), 2 when a
    file is unusable.
    """
    from qrinterop.checks.reconcile import disagreements
    from qrinterop.profile import load_profile
    from qrinterop.protocol.validation import file_problem

    profile = load_profile()
    document = load_json(statement, "reconciliation file")
    if problem := file_problem(profile, profile.messages["reconciliation"]["schema"], document):
        raise UsageError(f"{statement}: not a reconciliation file: {problem}")
    booked = load_json(books, "books")
    booked = booked.get("transactions") if isinstance(booked, dict) else booked
    if not isinstance(booked, list) or not all(isinstance(t, dict) and "status" in t
                                               for t in booked):
        raise UsageError(f"{books}: not a list of transactions as GET /control/transactions "
                         "gives them")
    found = disagreements(document, booked)
    if as_json:
        click.echo(json.dumps({"agree": not found, "disagreements": found},
                              ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(found) if found else
                   f"The books agree with the file: {len(document['records'])} records.")
    raise SystemExit(1 if found else 0)
