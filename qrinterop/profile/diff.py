"""Every difference between two versions of a profile, each with the reason the newer one gives.

A profile is a folder of JSON files. Each file is flattened to its leaves (objects by key,
lists of objects by their ``id``), and differences are gathered into *units*: a file's first
two levels (``requirements/R-FLOW-06``, ``codes/35``, ``refund/window_days``,
``$defs/request.to-switch``), the grain at which a reviewer reads a change. The newer
profile's ``changes.json`` explains units by ``touches`` ("<file>" or "<file>:<path>"); a
unit no change touches is *unexplained*, which a release must not have.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from qrinterop.profile import Profile

#: Fields of a requirement a reviewer compares one by one.
COMPARED = ("level", "feature", "roles", "title", "text", "source", "effective", "manual",
            "verified_by")
#: The explanation file itself is not part of what it explains.
NOT_COMPARED = frozenset({"changes.json"})
UNIT_DEPTH = 2

Leaves = dict[tuple[str, ...], Any]


@dataclass
class Difference:
    file: str
    path: tuple[str, ...]
    kind: str                                   # added | removed | changed
    leaves: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)   # CHG ids that explain it

    @property
    def where(self) -> str:
        return f"{self.file}:{pointer(self.path)}" if self.path else self.file

    def as_dict(self) -> dict:
        return {"file": self.file, "path": pointer(self.path), "kind": self.kind,
                "leaves": self.leaves, "changes": self.changes}


def pointer(path: tuple[str, ...]) -> str:
    """A path as a touch names it: segments joined by '/', a '/' inside one (an OpenAPI
    path such as ``/control/clock``) written '~1' and a '~' '~0', as in a JSON Pointer."""
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in path)


def _segments(text: str) -> tuple[str, ...]:
    return tuple(part.replace("~1", "/").replace("~0", "~") for part in text.split("/"))


def _flatten(node: Any, path: tuple[str, ...] = ()) -> Leaves:
    if isinstance(node, dict) and node:
        return {leaf: value for key, child in node.items()
                for leaf, value in _flatten(child, (*path, key)).items()}
    if isinstance(node, list) and node and all(isinstance(i, dict) and "id" in i for i in node):
        return {k: v for item in node
                for k, v in _flatten({x: y for x, y in item.items() if x != "id"},
                                     (*path, str(item["id"]))).items()}
    return {path: node}


def _documents(profile: Profile, other: Profile) -> dict[str, Any]:
    """Every JSON file of ``profile`` by its path in the folder; its message schemas' URIs
    read as ``other``'s, since they differ only by carrying the version."""
    own, theirs = f"{profile.name}/messages/", f"{other.name}/messages/"
    documents = {}
    for path in sorted(profile.folder.rglob("*.json")):
        name = path.relative_to(profile.folder).as_posix()
        if name not in NOT_COMPARED:
            documents[name] = json.loads(path.read_text(encoding="utf-8").replace(own, theirs))
    return documents


def differences(old: Profile, new: Profile) -> list[Difference]:
    """Every unit that differs, in file order, each with the changes of ``new`` covering it."""
    before, after = _documents(old, new), _documents(new, new)
    found: list[Difference] = []
    for name in sorted(set(before) | set(after)):
        if name not in before or name not in after:
            found.append(Difference(name, (), "added" if name in after else "removed"))
            continue
        found += _file_differences(name, _flatten(before[name]), _flatten(after[name]))
    touches = [(change["id"], touch) for change in new.changes.get("changes", ())
               for touch in change["touches"]]
    for difference in found:
        difference.changes = sorted({ident for ident, touch in touches
                                     if _covers(touch, difference)})
    return found


def _file_differences(name: str, before: Leaves, after: Leaves) -> list[Difference]:
    units: dict[tuple[str, ...], Difference] = {}
    for leaf in sorted(set(before) | set(after)):
        if before.get(leaf, _MISSING) == after.get(leaf, _MISSING):
            continue
        unit = leaf[:UNIT_DEPTH]
        if unit not in units:
            had = any(k[:UNIT_DEPTH] == unit for k in before)
            has = any(k[:UNIT_DEPTH] == unit for k in after)
            units[unit] = Difference(name, unit, "changed" if had and has else
                                     "added" if has else "removed")
        units[unit].leaves.append(pointer(leaf[UNIT_DEPTH:]) or "(value)")
    return list(units.values())


_MISSING = object()


def _covers(touch: str, difference: Difference) -> bool:
    file, _, path = touch.partition(":")
    if file != difference.file:
        return False
    wanted = _segments(path) if path else ()
    shorter = min(len(wanted), len(difference.path))
    return wanted[:shorter] == difference.path[:shorter]


def unexplained(found: list[Difference]) -> list[Difference]:
    return [d for d in found if not d.changes]


def requirement_changes(old: Profile, new: Profile) -> dict[str, list]:
    """Requirements added, removed, and changed (with the fields that changed)."""
    before, after = old.requirements, new.requirements
    changed = [{"id": rid, "fields": [f for f in COMPARED
                                      if before[rid].get(f) != after[rid].get(f)]}
               for rid in before if rid in after]
    return {"added": [rid for rid in after if rid not in before],
            "removed": [rid for rid in before if rid not in after],
            "changed": [c for c in changed if c["fields"]]}


def report_lines(old: Profile, new: Profile, found: list[Difference]) -> list[str]:
    """The diff as a reviewer reads it: requirements first, then every other unit, each with
    the summary and reason of the change that explains it."""
    reasons = {c["id"]: c for c in new.changes.get("changes", ())}
    req = requirement_changes(old, new)
    lines = [f"{old.id} {old.version} → {new.id} {new.version}", "", "Requirements:"]
    lines += [f"  added    {rid}  {new.requirements[rid]['title']['en']}" for rid in req["added"]]
    lines += [f"  removed  {rid}  {old.requirements[rid]['title']['en']}" for rid in req["removed"]]
    lines += [f"  changed  {c['id']}  ({', '.join(c['fields'])})" for c in req["changed"]]
    if not any(req.values()):
        lines.append("  no requirement changed")
    lines += ["", f"Every difference ({len(found)}), with the changes that explain it:"]
    lines += [f"  {d.kind:8} {d.where}  {' '.join(d.changes) or 'UNEXPLAINED'}" for d in found]
    lines += ["", "Why (changes.json):"]
    for change in reasons.values():
        lines += [f"  {change['id']}  {change['summary']}", f"           {change['reason']}"]
        if change.get("sources"):
            lines.append(f"           sources: {', '.join(change['sources'])}")
    missing = unexplained(found)
    lines += ["", f"{len(found)} differences, {len(missing)} unexplained"]
    return lines


def as_json(old: Profile, new: Profile, found: list[Difference]) -> dict:
    return {**requirement_changes(old, new), "from": old.name, "to": new.name,
            "differences": [d.as_dict() for d in found],
            "changes": new.changes.get("changes", []),
            "unexplained": [d.where for d in unexplained(found)]}

