"""Parameter types shared by the commands.

A path the user types means a file relative to *their* working directory. The simulators a
run starts work in another folder, and reports, manifests and matrices keep the paths they
are given; a relative path there would name another file, or none. So every path a command
hands on (to a child process, into a document, to a later run) is made absolute here, at the
command line's edge, and nothing deeper has to know where the user stood. Paths a command
only reads itself, at once, keep the user's spelling, so that its messages echo what was
typed (``ICS file t.yaml, line 3``); they mean the same file, as no command changes folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


class UserPath(click.Path):
    """``click.Path`` giving an absolute :class:`Path`, taken from the user's working folder.

    ``Path.absolute`` rather than ``resolve``: a symbolic link the user names stays the link
    they named (evidence says what was given), and ``..`` keeps its meaning through links."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(path_type=Path, **kwargs)

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        path = super().convert(value, param, ctx)
        return path.absolute() if isinstance(path, Path) else path


port_option = click.option("--base-port", type=click.IntRange(0, 65000), default=0,
                           show_default=True,
                           help="Port of the switch; the SUT and peers take the next ones. "
                                "0 picks free ports.")
