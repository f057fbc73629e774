"""``qrinterop profile show | diff``: the standard as a reviewer reads it.

A profile is named by ``<id>/<version>`` (a bundled one, e.g. ``cn-interconnect/1.0``) or by
the path of a profile folder, so that a draft under review can be compared with the release.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import click

from qrinterop.errors import UsageError
from qrinterop.profile import DATA_DIR, DEFAULT_PROFILE, Profile, ProfileError, load_profile

COMPARED = ("level", "feature", "roles", "title", "text", "source", "effective")


def resolve(reference: str | None) -> Profile:
    """Load a profile by ``id/version`` or folder path; a bad reference is a usage error."""
    folder = DATA_DIR.joinpath(*DEFAULT_PROFILE) if reference is None else Path(reference)
    if reference is not None and not folder.is_dir():
        folder = DATA_DIR / reference
    if not folder.is_dir():
        known = ", ".join(f"{p.parent.name}/{p.name}" for p in sorted(DATA_DIR.glob("*/*")))
        raise UsageError(f"no profile {reference!r} (bundled: {known}; or give a folder)")
    try:
        return load_profile(folder)
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
                  f"  source: {req['source']['kind']} — {req['source']['ref']}"]
    counts = counts_by_area(profile)
    lines += ["", "Requirements by area: " + ", ".join(f"{a} {n}" for a, n in counts.items())
              + f" — {sum(counts.values())} in all"]
    return lines


def diff(old: Profile, new: Profile) -> dict[str, list]:
    """Requirements added, removed, and changed (with the fields that changed)."""
    before, after = old.requirements, new.requirements
    changed = [{"id": rid, "fields": [f for f in COMPARED
                                      if before[rid].get(f) != after[rid].get(f)]}
               for rid in before if rid in after]
    return {"added": [rid for rid in after if rid not in before],
            "removed": [rid for rid in before if rid not in after],
            "changed": [c for c in changed if c["fields"]]}


@click.group("profile")
def profile_group() -> None:
    """Read the interconnection profile: requirements, sources, and changes between versions."""


@profile_group.command("show")
@click.option("--profile", "reference", metavar="ID/VERSION|FOLDER",
              help="Profile to show. Default: the bundled cn-interconnect/1.0.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show_command(reference: str | None, as_json: bool) -> None:
    """List every requirement, in English and Chinese, with its level, roles and source."""
    profile = resolve(reference)
    if as_json:
        click.echo(json.dumps({"id": profile.id, "version": profile.version,
                               "effective": profile.manifest["effective"],
                               "requirements": list(profile.requirements.values()),
                               "countsByArea": counts_by_area(profile)},
                              ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(show_lines(profile)))


@profile_group.command("diff")
@click.argument("old")
@click.argument("new")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def diff_command(old: str, new: str, as_json: bool) -> None:
    """List requirements added, removed and changed between profiles OLD and NEW."""
    before, after = resolve(old), resolve(new)
    changes = diff(before, after)
    if as_json:
        click.echo(json.dumps(changes, indent=2))
        return
    click.echo(f"{before.id} {before.version} → {after.id} {after.version}")
    for rid in changes["added"]:
        click.echo(f"  added    {rid}  {after.requirements[rid]['title']['en']}")
    for rid in changes["removed"]:
        click.echo(f"  removed  {rid}  {before.requirements[rid]['title']['en']}")
    for change in changes["changed"]:
        click.echo(f"  changed  {change['id']}  ({', '.join(change['fields'])})")
    if not any(changes.values()):
        click.echo("  no requirement changed")
