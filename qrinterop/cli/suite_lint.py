"""``qrinterop suite lint``: the suite checked against its own rules (``--list-rules``).

One line per problem, ``RULE-ID file:line message``; exit 0 when there is none, 1 when there
are, 2 when the suite cannot be read (a data file that breaks its schema, a feature that does
not parse). The suite is the one ``certify`` runs: beside the package, or ``QRINTEROP_SUITE``.
"""

from __future__ import annotations

import click

from qrinterop.cli.profile import resolve


@click.group("suite")
def suite_group() -> None:
    """The certification suite itself: its features, data and reference code."""


@suite_group.command("lint")
@click.option("--profile", "reference", metavar="ID/VERSION|FOLDER",
              help="Profile whose requirements @req. tags must name. Default: the bundled "
                   "cn-interconnect/1.0.")
@click.option("--list-rules", is_flag=True, help="Print every rule, what it finds and how to "
                                                 "fix it, and exit.")
def lint_command(reference: str | None, list_rules: bool) -> int:
    """Check the suite: one @tc. per scenario, known @req., defects in the code and the
    catalogue both ways, and the @rows. tables and their sources."""
    from qrinterop.runner.bdd.suite import locate
    from qrinterop.runner.bdd.suite_lint import lint, rules

    if list_rules:
        for ident, rule in rules().items():
            click.echo(f"{ident}\n  {rule['description']}\n  Fix: {rule['fix']}")
        return 0
    problems = lint(locate(), resolve(reference))
    for problem in problems:
        click.echo(str(problem))
    return 1 if problems else 0
