"""``qrinterop profile show | diff | field-map``: the standard as a reviewer reads it.

A profile is named by ``<id>/<version>`` (a bundled one, e.g. ``cn-interconnect/1.0``) or by
the path of a profile folder, so that a draft under review can be compared with the release.
"""

from __future__ import annotations

import json
from collections import Counter

import click

from qrinterop.errors import UsageError
from qrinterop.profile import Profile, ProfileError, field_map, load_profile, profile_folder
from qrinterop.profile.diff import as_json, differences, report_lines, unexplained


def resolve(reference: str | None) -> Profile:
    """Load a profile by ``id/version`` or folder path; a bad reference is a usage error."""
    try:
        return load_profile(profile_folder(reference))
    except ProfileError as exc:
        raise UsageError(f"profile: {exc}") from None


def area(requirement_id: str) -> str:
    return requirement_id.split("-")[1]


def counts_by_area(profile: Profile) -> dict[str, int]:
    return dict(Counter(area(r) for r in profile.requirements))


def show_lines(profile: Profile) -> list[str]:
    manifest = profile.manifest
    lines = [f"{profile.id} {profile.version} — {manifest['title']['en']}",
             f"{manifest['title']['zh']}",
             f"effective {manifest['effective']}, status {manifest.get('status', 'final')}", ""]
    for req in profile.requirements.values():
        level = req["level"] + (f" (feature {req['feature']})" if req.get("feature") else "")
        lines += [f"{req['id']}  {level}  roles: {', '.join(req['roles'])}",
                  f"  {req['title']['en']}", f"  {req['title']['zh']}",
                  f"  source: {req['source']['kind']} — {req['source']['ref']}",
                  *(f"    [{s['id']}] {s['strength']}: {s.get('address', s['quote'])}"
                    + (f" (read via {s['via']})" if "via" in s else "")
                    for s in profile.cited(req["source"])),
                  *(["  verified by the capacity run (qrinterop capacity, certify --capacity)"]
                    if req.get("verified_by") == "capacity" else [])]
    lines += capacity_lines(profile.capacity)
    counts = counts_by_area(profile)
    lines += ["", "Requirements by area: " + ", ".join(f"{a} {n}" for a, n in counts.items())
              + f" — {sum(counts.values())} in all"]
    return lines


def capacity_lines(capacity: dict) -> list[str]:
    """How the profile's capacity run loads and judges an SUT (capacity.json), if it has one."""
    if not capacity:
        return []
    limits = capacity["limits"]
    return ["", "Capacity run (capacity.json), at the peak the ICS declares:",
            "  mix: " + ", ".join(f"{m['kind']} {m['weight']}" for m in capacity["mix"])
            + f"; {capacity['amount_fen']} fen each",
            "  shape: " + ", ".join(f"{s['stage']} {s['share']:.0%} ({s['from']:g}→{s['to']:g}×)"
                                    for s in capacity["shape"]),
            f"  limits: at least {limits['sustained_share']:.0%} of the peak over the steady "
            f"stage, p99 within {limits['p99_ms']:g} ms, errors at most "
            f"{limits['max_error_rate']:.1%} (or fewer as declared), every outcome settled "
            f"within {limits['settle_s']:g} s"]


@click.group("profile")
def profile_group() -> None:
    """Read the interconnection profile: requirements, sources, and changes between versions."""


@profile_group.command("show")
@click.option("--profile", "reference", metavar="ID/VERSION|FOLDER",
              help="Profile to show. Default: the bundled cn-interconnect/1.1.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show_command(reference: str | None, as_json: bool) -> None:
    """List every requirement, in English and Chinese, with its level, roles and source."""
    profile = resolve(reference)
    if as_json:
        click.echo(json.dumps({"id": profile.id, "version": profile.version,
                               "effective": profile.manifest["effective"],
                               "requirements": [{**req, "cited": profile.cited(req["source"])}
                                                for req in profile.requirements.values()],
                               "sources": profile.sources,
                               "capacity": profile.capacity,
                               "countsByArea": counts_by_area(profile)},
                              ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(show_lines(profile)))


@profile_group.command("diff")
@click.argument("old")
@click.argument("new")
@click.option("--json", "as_json_", is_flag=True, help="Print JSON.")
@click.option("--check", is_flag=True,
              help="Exit 1 when a difference has no reason in NEW's changes.json.")
def diff_command(old: str, new: str, as_json_: bool, check: bool) -> None:
    """List every difference between profiles OLD and NEW, each with NEW's reason for it."""
    before, after = resolve(old), resolve(new)
    found = differences(before, after)
    if as_json_:
        click.echo(json.dumps(as_json(before, after, found), ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(report_lines(before, after, found)))
    if check and unexplained(found):
        raise SystemExit(1)


@profile_group.command("field-map")
@click.option("--profile", "reference", metavar="ID/VERSION|FOLDER",
              help="Profile whose map to print. Default: the bundled cn-interconnect/1.1.")
def field_map_command(reference: str | None) -> None:
    """Print the mapping of the profile's message fields to UnionPay QRC's, as Markdown
    (docs/FIELD-MAPPING.md is this output)."""
    profile = resolve(reference)
    if not profile.field_map:
        raise UsageError(f"profile {profile.id} {profile.version} has no QRC field map")
    click.echo(field_map.markdown(profile, profile.field_map), nl=False)
