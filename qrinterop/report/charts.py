"""Inline SVG charts of a capacity run: its rate and its latency over time, second by second.

Drawn here, on the server, as SVG text: the report opens from file:// with no script and
nothing fetched, prints as it shows, and stays readable years later. The functions are pure
(a series in, SVG text out) so that a test parses what they draw. Every text placed in a chart
is escaped: a stage's name is data. Labels are bilingual as on the rest of the page, each
language a ``<tspan lang>`` that the page's language switch shows or hides.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

#: Fill of each stage's band; one the profile adds later is drawn grey.
STAGE_FILL = {"ramp": "#ddf4ff", "steady": "#dafbe1", "spike": "#ffebe9", "recover": "#fff8c5"}
STAGE_ZH = {"ramp": "爬升", "steady": "稳定", "spike": "峰值", "recover": "恢复"}
OTHER_FILL = "#eaeef2"


@dataclass(frozen=True)
class Line:
    """One line of a chart: which key of a series row it draws, how, and its legend."""

    key: str
    en: str
    zh: str
    colour: str
    dash: str = ""          # a dash pattern tells lines apart in a black-and-white print


@dataclass(frozen=True)
class Frame:
    """The plotting area inside the SVG and the data ranges it maps."""

    x_max: float
    y_max: float
    width: int = 900
    height: int = 300
    left: int = 64
    right: int = 16
    top: int = 34
    bottom: int = 46

    def x(self, value: float) -> float:
        return round(self.left + value / self.x_max * (self.width - self.left - self.right), 1)

    def y(self, value: float) -> float:
        plot = self.height - self.top - self.bottom
        return round(self.height - self.bottom - value / self.y_max * plot, 1)


RATE_LINES = (Line("tps", "achieved", "实际", "#0969da"),
              Line("target_tps", "target", "目标", "#57606a", "6 4"))   # dashed, on top
LATENCY_LINES = (Line("p50_ms", "p50", "p50", "#1a7f37"),
                 Line("p99_ms", "p99", "p99", "#8250df", "2 2"))


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Ticks from 0 to a round number at or above *top*, about *count* intervals, each a 1, 2,
    2.5 or 5 times a power of ten, so that a reader can read values off the grid."""
    top = top if top > 0 else 1.0
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    return [round(i * step, 10) for i in range(math.ceil(top / step - 1e-9) + 1)]


def _number(value: float) -> str:
    return f"{value:g}"


def _label(en: str, zh: str) -> str:
    """A text's two languages, each shown or hidden with the page's language switch; once
    if they are the same (p99)."""
    if en == zh:
        return escape(en)
    return f'<tspan lang="en">{escape(en)}</tspan> <tspan lang="zh">{escape(zh)}</tspan>'


def _bands(frame: Frame, stages: Sequence[dict]) -> Iterable[str]:
    """The load shape's stages as shaded bands with their names, behind the lines."""
    for stage in stages:
        name = str(stage["stage"])
        left, right = frame.x(stage["start_s"]), frame.x(stage["end_s"])
        yield (f'<rect class="stage" data-stage={quoteattr(name)} x="{left}" y="{frame.top}" '
               f'width="{round(right - left, 1)}" height="{frame.y(0) - frame.top}" '
               f'fill="{STAGE_FILL.get(name, OTHER_FILL)}"/>')
        yield (f'<text x="{round((left + right) / 2, 1)}" y="{frame.top + 14}" '
               f'text-anchor="middle" font-size="12">'
               f'{_label(name, STAGE_ZH.get(name, name))}</text>')


def _axes(frame: Frame, y_ticks: list[float], unit: tuple[str, str]) -> Iterable[str]:
    """Grid lines and tick labels on both axes, and the axes' titles."""
    for value in y_ticks:
        y = frame.y(value)
        yield (f'<line x1="{frame.left}" y1="{y}" x2="{frame.width - frame.right}" y2="{y}" '
               f'stroke="#d0d7de" stroke-width="1"/>')
        yield (f'<text x="{frame.left - 6}" y="{y + 4}" text-anchor="end" '
               f'font-size="12">{_number(value)}</text>')
    bottom = frame.y(0)
    for value in nice_ticks(frame.x_max, 10):
        if value <= frame.x_max:
            x = frame.x(value)
            yield f'<line x1="{x}" y1="{bottom}" x2="{x}" y2="{bottom + 5}" stroke="#1f2328"/>'
            yield (f'<text x="{x}" y="{bottom + 18}" text-anchor="middle" '
                   f'font-size="12">{_number(value)}</text>')
    yield (f'<line x1="{frame.left}" y1="{bottom}" x2="{frame.width - frame.right}" '
           f'y2="{bottom}" stroke="#1f2328"/>')
    yield (f'<text x="{(frame.left + frame.width) / 2}" y="{frame.height - 6}" '
           f'text-anchor="middle" font-size="12">{_label("time (s)", "时间（秒）")}</text>')
    yield (f'<text x="14" y="{(frame.top + bottom) / 2}" text-anchor="middle" font-size="12" '
           f'transform="rotate(-90 14 {(frame.top + bottom) / 2})">{_label(*unit)}</text>')


def _runs(series: Sequence[dict], key: str) -> list[list[tuple[float, float]]]:
    """The points of *key* in runs without a gap: a second with no value (no transaction
    ended, so no latency) breaks the line rather than drawing through it."""
    runs: list[list[tuple[float, float]]] = [[]]
    for row in series:
        if row.get(key) is None:
            runs.append([])
        else:
            runs[-1].append((row["t"], row[key]))
    return [run for run in runs if run]


def _line(frame: Frame, series: Sequence[dict], line: Line) -> Iterable[str]:
    """One line of the series; a lone point (a run of one second) as a dot, to be seen."""
    dash = f' stroke-dasharray="{line.dash}"' if line.dash else ""
    for run in _runs(series, line.key):
        points = " ".join(f"{frame.x(t)},{frame.y(v)}" for t, v in run)
        yield (f'<polyline class="line" data-key="{line.key}" points="{points}" fill="none" '
               f'stroke="{line.colour}" stroke-width="2"{dash}/>')
        if len(run) == 1:
            yield (f'<circle cx="{frame.x(run[0][0])}" cy="{frame.y(run[0][1])}" r="3" '
                   f'fill="{line.colour}"/>')


def _legend(frame: Frame, lines: Sequence[Line]) -> Iterable[str]:
    """A key above the plot, right-aligned: each line's stroke and its name."""
    x = frame.width - frame.right - 150 * len(lines)
    for line in lines:
        dash = f' stroke-dasharray="{line.dash}"' if line.dash else ""
        yield (f'<line x1="{x}" y1="14" x2="{x + 28}" y2="14" stroke="{line.colour}" '
               f'stroke-width="2"{dash}/>')
        yield f'<text x="{x + 34}" y="18" font-size="12">{_label(line.en, line.zh)}</text>'
        x += 150


def _limit(frame: Frame, value: float) -> Iterable[str]:
    """A limit the run is held to, as a dashed red line with its value."""
    y = frame.y(value)
    yield (f'<line class="limit" x1="{frame.left}" y1="{y}" x2="{frame.width - frame.right}" '
           f'y2="{y}" stroke="#cf222e" stroke-width="1.5" stroke-dasharray="8 4"/>')
    yield (f'<text x="{frame.left + 6}" y="{y - 5}" font-size="12" fill="#cf222e">'
           f'{_label(f"p99 limit {_number(value)} ms", f"p99 限值 {_number(value)} 毫秒")}'
           f'</text>')


def _svg(title: tuple[str, str], frame: Frame, parts: Iterable[str]) -> str:
    """The chart's SVG element: scalable to the page's width, titled for screen readers."""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            f'viewBox="0 0 {frame.width} {frame.height}" font-family="system-ui, sans-serif">'
            f'<title>{escape(" / ".join(title))}</title>' + "".join(parts) + "</svg>")


def _chart(title: tuple[str, str], unit: tuple[str, str], series: Sequence[dict],
           stages: Sequence[dict], lines: Sequence[Line], limit: float | None = None) -> str:
    """A chart of *lines* over *series*, the stages behind them, *limit* across them."""
    values = [row[line.key] for row in series for line in lines if row.get(line.key) is not None]
    ends = [s["end_s"] for s in stages] + [row["t"] for row in series]
    y_ticks = nice_ticks(max([*values, (limit or 0) * 1.1]))   # the limit below the top
    frame = Frame(x_max=max([*ends, 1]), y_max=y_ticks[-1])
    empty = [] if series else [f'<text x="{frame.width / 2}" y="{frame.height / 2}" '
                               f'text-anchor="middle" font-size="14">'
                               f'{_label("no measurements", "无测量数据")}</text>']
    return _svg(title, frame, [*_bands(frame, stages), *_axes(frame, y_ticks, unit),
                               *(_limit(frame, limit) if limit is not None else []),
                               *(part for line in lines for part in _line(frame, series, line)),
                               *_legend(frame, lines), *empty])


def rate_chart(series: Sequence[dict], stages: Sequence[dict]) -> str:
    """Transactions per second achieved against the load shape's target, stage by stage."""
    return _chart(("Rate over time", "速率随时间变化"), ("tps", "笔/秒"), series, stages,
                  RATE_LINES)


def latency_chart(series: Sequence[dict], stages: Sequence[dict],
                  p99_limit: float | None) -> str:
    """p50 and p99 latency each second against the profile's p99 limit (None: not judged)."""
    return _chart(("Latency over time", "时延随时间变化"), ("ms", "毫秒"), series, stages,
                  LATENCY_LINES, p99_limit)
