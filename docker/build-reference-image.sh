#!/usr/bin/env bash
# Build qrinterop-reference:latest, the bundled reference institution as a container image,
# with no registry: a Debian base made by debootstrap and `docker import`, then the
# reference's Python dependencies (installed here with pip --target) and source copied in.
# Needs: a running engine (docker/start-engine.sh), debootstrap, and the .venv of README
# (another Python 3.11 with pip: QRINTEROP_PYTHON=/path/to/python).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${QRINTEROP_PYTHON:-.venv/bin/python}
BASE=qrinterop-base:bookworm
IMAGE=${1:-qrinterop-reference:latest}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

if ! docker image inspect "$BASE" >/dev/null 2>&1; then
    # The Debian mirror apt already uses on this machine (not its security suite).
    MIRROR=$("$PY" - <<'PY'
import glob
for path in ["/etc/apt/sources.list", *glob.glob("/etc/apt/sources.list.d/*")]:
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError:
        continue
    for line in lines:
        if line.startswith(("URIs:", "deb ")):
            urls = [w for w in line.split() if w.startswith("http") and w.rstrip("/").endswith("/debian")]
            if urls:
                print(urls[0])
                raise SystemExit
PY
)
    debootstrap --variant=minbase --include=python3 bookworm "$WORK/rootfs" "$MIRROR" >/dev/null
    tar -C "$WORK/rootfs" -c . | docker import -c 'CMD ["python3"]' - "$BASE" >/dev/null
    rm -rf "$WORK/rootfs"
fi

# What the reference needs at run time: qrinterop's own dependencies, for the image's Python.
"$PY" - > "$WORK/requirements.txt" <<'PY'
import tomllib
print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))
PY
"$PY" -m pip install --quiet --target "$WORK/stage/site-packages" -r "$WORK/requirements.txt"
mkdir -p "$WORK/stage/suite"
cp -r qrinterop mocks "$WORK/stage/suite/"
find "$WORK/stage" -name __pycache__ -prune -exec rm -rf {} +
cp docker/reference/Dockerfile "$WORK/stage/"
docker build --quiet --network none -t "$IMAGE" "$WORK/stage" >/dev/null
echo "built $IMAGE"
