"""A bundle's ``.tar.gz``, unpacked for verification without trusting it.

An archive is what a verifier is handed by the party whose run it checks, so it is read as
hostile: it must hold one bundle folder and nothing beside it (a forged report next to a
genuine signed bundle would otherwise pass unseen), only regular files and folders (a link or
device could point the verifier at something the manifest never covered), no absolute path or
``..`` (it would write outside the temporary folder), no file twice (which copy would count?),
and no more than :class:`Limits` allow, counted while the stream is read, so that a bomb is
refused before its bytes reach the disk.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MANIFEST = "manifest.json"

#: The decompressed size of an archive (its tar stream, headers included). The reference's
#: full run (460 scenarios, ``certify --jobs 2``, 2026-12-03) is a bundle of 14 MB in 2,218
#: files, so this allows runs of some 15,000 scenarios, while a compressed bomb (1.2 MB that
#: expand to 1 GiB) is refused at the header that announces it.
MAX_EXPANDED_BYTES = 512 << 20
#: Entries (files and folders) of an archive: about 5 per scenario in that run, so this too
#: allows some 20,000 scenarios, and stops an archive of millions of empty files that would
#: exhaust the disk's inodes.
MAX_ENTRIES = 100_000


class BundleError(Exception):
    """A bundle that cannot be verified at all (a broken or unsafe archive): not verified."""


class NotABundle(BundleError):
    """Input that is no bundle (no ``manifest.json`` anywhere): unusable input, not a verdict."""


@dataclass(frozen=True)
class Limits:
    """How much an archive may expand to; lower in tests, so that a bomb is quick to make."""

    expanded_bytes: int = MAX_EXPANDED_BYTES
    entries: int = MAX_ENTRIES


DEFAULT_LIMITS = Limits()


class _Counted(io.RawIOBase):
    """The decompressed stream, refusing to yield more than ``cap`` bytes in all: this also
    bounds what tarfile holds in memory for a long-name or PAX header. A raw stream that
    only reads: tarfile's stream mode (``r|``) never seeks or writes."""

    def __init__(self, stream: gzip.GzipFile, cap: int, archive: Path) -> None:
        super().__init__()
        self.stream, self.cap, self.archive, self.count = stream, cap, archive, 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size if size >= 0 else self.cap + 1 - self.count)
        self.count += len(data)
        if self.count > self.cap:
            raise BundleError(f"{self.archive}: {_too_large(self.cap)}")
        return data


def unpack(archive: Path, into: Path, limits: Limits = DEFAULT_LIMITS) -> Path:
    """Unpack ``archive`` into ``into`` and return the bundle's folder in it (the outermost
    one holding a manifest: a worker's own lies below it); :class:`BundleError` naming the
    first entry that makes it unsafe or not a bundle, :class:`NotABundle` if none holds a
    manifest."""
    try:
        with gzip.open(archive, "rb") as compressed:
            stream = _Counted(compressed, limits.expanded_bytes, archive)
            with tarfile.open(fileobj=stream, mode="r|") as tar:
                names = _extract(tar, stream, into, archive, limits)
    except BundleError:
        raise
    except tarfile.FilterError as exc:          # defence in depth: _unsafe refuses them first
        raise BundleError(f"{archive}: {exc}") from None
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise BundleError(f"{archive}: not a readable .tar.gz bundle ({exc})") from None
    root = _root(archive, names)
    return into.joinpath(*root.parts)


def _extract(tar: tarfile.TarFile, stream: _Counted, into: Path, archive: Path,
             limits: Limits) -> dict[PurePosixPath, bool]:
    """Every entry's path, and whether it is a folder; each checked before it is written."""
    names: dict[PurePosixPath, bool] = {}
    for number, member in enumerate(tar, 1):
        if number > limits.entries:
            raise BundleError(f"{archive}: more than {limits.entries} entries (the limit for "
                              f"a bundle)")
        name = PurePosixPath(member.name)
        if problem := _unsafe(member, name, names):
            raise BundleError(f"{archive}: entry {member.name!r} {problem}")
        if stream.count + member.size > limits.expanded_bytes:
            raise BundleError(f"{archive}: {_too_large(limits.expanded_bytes)} with entry "
                              f"{member.name!r}")
        names[name] = member.isdir()
        tar.extract(member, into, filter="data")
    return names


def _unsafe(member: tarfile.TarInfo, name: PurePosixPath,
            seen: dict[PurePosixPath, bool]) -> str | None:
    """Why a bundle's archive may not hold this entry; None if it may."""
    if name.is_absolute():
        return "has an absolute path"
    if ".." in name.parts:
        return "has '..' in its path"
    if not (member.isreg() or member.isdir()) or member.issparse():
        return f"is {_kind(member)}: a bundle holds only regular files and folders"
    if member.isreg() and name in seen:
        return "appears twice (which copy would be verified?)"
    return None


def _kind(member: tarfile.TarInfo) -> str:
    if member.issym():
        return f"a symbolic link (to {member.linkname!r})"
    if member.islnk():
        return f"a hard link (to {member.linkname!r})"
    if member.ischr() or member.isblk():
        return "a device"
    return "a named pipe" if member.isfifo() else "a sparse file or one of an unknown type"


def _root(archive: Path, names: dict[PurePosixPath, bool]) -> PurePosixPath:
    """The outermost folder holding a manifest; :class:`BundleError` for any entry outside
    it other than the folders that lead to it (files named first: they are what was added)."""
    manifests = sorted((name.parent for name, folder in names.items()
                        if name.name == MANIFEST and not folder), key=lambda p: len(p.parts))
    if not manifests:
        raise NotABundle(f"{archive}: no {MANIFEST} in the archive: not a report bundle")
    root = manifests[0]
    outside = [str(name) for name, folder in sorted(names.items(), key=lambda n: (n[1], n[0]))
               if not (name == root or root in name.parents or (folder and name in root.parents))]
    if outside:
        more = f" and {len(outside) - 3} more" if len(outside) > 3 else ""
        lie = "entry lies" if len(outside) == 1 else "entries lie"
        raise BundleError(f"{archive}: {len(outside)} {lie} outside the bundle's folder "
                          f"{root}: {', '.join(outside[:3])}{more}")
    return root


def _too_large(cap: int) -> str:
    return f"expands beyond {cap} bytes (the limit for a bundle)"
