"""``launch: container``: the reference institution's image (docker/build-reference-image.sh,
which .ci/run and README's system-test steps run) certified through a real Docker engine on
the host's network; an image that is not there is inconclusive, never pulled."""

from __future__ import annotations

import json

import pytest

from tests.conftest import launched_ics, run_cli

pytestmark = [pytest.mark.e2e, pytest.mark.docker]
IMAGE = "qrinterop-reference:latest"


def container_ics(folder, image: str) -> str:
    return str(launched_ics(folder, "container", f"image: {image}", "ready_timeout_s: 30"))


def test_the_reference_image_is_certified_and_removed(tmp_path):
    import docker  # the container extra: only where conftest found it

    engine = docker.from_env()
    assert engine.images.get(IMAGE), "run docker/build-reference-image.sh first"
    run_dir = tmp_path / "run"
    done = run_cli("certify", "--ics", container_ics(tmp_path, IMAGE), "--out", str(run_dir),
                   "--tags", "@tc.CPM-01 or @tc.MPM-03 or @tc.REF-03", timeout=300)
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    assert report["summary"]["pass"] == 3, done.stdout + done.stderr
    assert report["run"]["sut"]["launch"] == "container"
    assert '"ready": true' in (run_dir / "logs" / "10000001.log").read_text(encoding="utf-8")
    assert engine.containers.list(all=True, filters={"label": f"qrinterop={run_dir.name}"}) == []


def test_a_missing_image_is_inconclusive_and_not_pulled(tmp_path):
    run_dir = tmp_path / "run"
    done = run_cli("certify", "--ics", container_ics(tmp_path, "qrinterop-nothing:0.0"),
                   "--out", str(run_dir))
    assert done.returncode == 3 and "not found on this machine's engine" in done.stderr
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    assert report["verdict"] == "inconclusive"
