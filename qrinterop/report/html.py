"""Render report.html: the human-readable view of one report document.

The page is a single self-contained file (inline CSS, no script, nothing fetched from
outside) so that a certification reviewer can open it from file:// on an offline machine, and
so that the archived report still renders years later exactly as it did on the day of the run.
The only external addresses are links a reader may follow: the public sources each
requirement cites (the profile's sources registry).
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import jinja2
import markupsafe

from qrinterop.report.charts import latency_chart, rate_chart
from qrinterop.report.visible import visible
from qrinterop.report.wire import abstract, scenario_hops, wire_view

TEMPLATES = pathlib.Path(__file__).parent / "templates"
TEMPLATE_NAME = "report.html.j2"


def template_environment() -> jinja2.Environment:
    """Build the Jinja2 environment.

    Autoescape is on because failure messages and findings quote bytes that came from the
    system under test; StrictUndefined makes a template typo fail loudly instead of
    silently rendering an empty cell in a certification report.
    """
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_shown,
    )
    # Messages as a reader wants them: indented, Chinese as Chinese (autoescape still applies).
    environment.filters["pretty"] = lambda value: json.dumps(value, ensure_ascii=False,
                                                             indent=2)
    # A message beside its wire form (report/wire.py): a JSON message has none.
    environment.filters["abstract"] = abstract
    environment.filters["wire_view"] = wire_view
    # A capacity run's charts, drawn here as SVG (report/charts.py escapes what it writes).
    environment.filters["rate_chart"] = lambda capacity: markupsafe.Markup(
        rate_chart(capacity["series"], capacity["stages"]))
    environment.filters["latency_chart"] = lambda capacity: markupsafe.Markup(
        latency_chart(capacity["series"], capacity["stages"],
                      capacity.get("limits", {}).get("p99_ms")))
    return environment


def _shown(value: Any) -> Any:
    """Every value a page prints, its hidden characters made visible (:mod:`visible`): a name
    with a right-to-left override must not read as another name. Markup (a macro's output) is
    already HTML, so its marks are written escaped; plain text is escaped after this."""
    if isinstance(value, markupsafe.Markup):
        return markupsafe.Markup(visible(str(value), "&lt;U+{:04X}&gt;"))
    return visible(value) if isinstance(value, str) else value


def render_html(report: dict[str, Any], hops: dict[str, list[dict]] | None = None) -> str:
    """Return the HTML text for *report*; separate from writing so it can be tested in memory.
    ``hops``: by scenario, its messages that travelled in a wire form of their own
    (:func:`qrinterop.report.wire.scenario_hops`), shown beside their abstract form."""
    return template_environment().get_template(TEMPLATE_NAME).render(report=report,
                                                                     hops=hops or {})


def write_html(report: dict[str, Any], path: pathlib.Path) -> None:
    """Write report.html for *report* to *path* as UTF-8 (the page carries Chinese labels),
    with the wire form of the messages of the transcripts beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report, scenario_hops(report, path.parent)), encoding="utf-8")
