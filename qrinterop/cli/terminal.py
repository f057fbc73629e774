"""The terminal every command writes to, and the colour of each verdict on it."""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console

from qrinterop.report.visible import visible


class _Terminal(Console):
    """The console, where text an SUT chose (a name, a quoted field) shows its hidden
    characters as ``<U+202E>``: a bidirectional override must not make a line read as
    another. The same function marks them on the HTML pages."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        super().print(*(visible(o) if isinstance(o, str) else o for o in objects), **kwargs)


# Bound to the real stdout now: behave swaps sys.stdout while it captures hook output.
console = _Terminal(highlight=False, soft_wrap=True, file=sys.stdout)
STYLE = {"pass": "green", "warning": "yellow", "fail": "bold red", "inconclusive": "yellow",
         "error": "magenta", "waived": "cyan",
         "not_applicable": "dim", "conformant": "bold green", "not-conformant": "bold red"}
