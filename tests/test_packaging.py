"""qrinterop installs like any tool: a wheel (``pip install .``, ``pipx install .``) carries the
certification suite and certifies from any folder, writing its run folders under
``./reports/``; its runtime needs neither pytest nor allure-pytest, and the docker SDK only for
``launch: container`` (the ``container`` extra)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from qrinterop.errors import UsageError
from qrinterop.runner.bdd.suite import locate
from qrinterop.runner.certify import (
    CertifyOptions,
    default_run_dir,
    harness_commit,
    load_inputs,
    load_peer,
)
from qrinterop.runner.processes.services import check_launcher
from tests.conftest import ROOT, launched_ics, run_cli

#: The suite's folders, at the top of the source tree, in the wheel under qrinterop/suite/.
SUITE = ("features", "steps", "mocks", "vectors")
#: Test tools: a runtime that imports one of them needs the test extra to run at all.
TEST_ONLY = ("pytest", "_pytest", "allure_pytest", "hypothesis")
#: Imports every module of the harness, the simulators and the steps, then names any test tool
#: loaded.
IMPORT_EVERYTHING = f"""
import importlib, pkgutil, sys
import qrinterop, mocks, steps
for package in (qrinterop, mocks, steps):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
print(sorted(set({TEST_ONLY!r}) & set(sys.modules)))
"""


def test_a_suite_that_is_not_there_is_named_without_an_editable_install(tmp_path, monkeypatch):
    monkeypatch.setenv("QRINTEROP_SUITE", str(tmp_path))
    with pytest.raises(UsageError) as raised:
        locate()
    message = str(raised.value)
    assert f"QRINTEROP_SUITE={tmp_path}" in message and "features/" in message, message
    assert "pip install -e" not in message and "\n" not in message


def suite_folders(root: Path) -> Path:
    for name in ("features", "steps", "mocks"):
        (root / name).mkdir(parents=True)
    return root


@pytest.mark.parametrize("layout", ["wheel", "checkout"])
def test_the_suite_is_found_where_each_install_puts_it(tmp_path, monkeypatch, layout):
    """A wheel's inside the package (qrinterop/suite/), a checkout's beside it."""
    import qrinterop.runner.bdd.suite as module

    monkeypatch.delenv("QRINTEROP_SUITE", raising=False)
    monkeypatch.setattr(module, "__file__", str(tmp_path / "qrinterop/runner/bdd/suite.py"))
    root = suite_folders(tmp_path / "qrinterop" / "suite" if layout == "wheel" else tmp_path)
    assert locate().root == root


def test_a_missing_suite_says_to_reinstall(tmp_path, monkeypatch):
    import qrinterop.runner.bdd.suite as module

    monkeypatch.delenv("QRINTEROP_SUITE", raising=False)
    monkeypatch.setattr(module, "__file__", str(tmp_path / "qrinterop/runner/bdd/suite.py"))
    with pytest.raises(UsageError, match=r"^qrinterop's certification suite is missing \(no "
                       rf"features/, steps/, mocks/ in {tmp_path}/qrinterop/suite nor in "
                       rf"{tmp_path}\): reinstall qrinterop \(pip install \. from its source\)"):
        locate()


def test_run_folders_default_to_reports_under_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert default_run_dir("run-1") == tmp_path / "reports" / "run-1"


def test_the_runtime_imports_no_test_tool():
    """Every module of qrinterop, of the simulators and of the steps, imported in a fresh
    interpreter."""
    done = subprocess.run([sys.executable, "-c", IMPORT_EVERYTHING], capture_output=True,
                          text=True, cwd=ROOT, timeout=120, check=False,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout


def container_launched(folder: Path, **source: Path) -> Path:
    return launched_ics(folder, "container", "image: qrinterop-reference:latest", **source)


def test_launch_container_without_the_docker_sdk_names_the_extra(tmp_path, monkeypatch):
    """For the SUT and for a peer launched so; a reference needs no docker."""
    (tmp_path / "peer").mkdir()
    peer = container_launched(tmp_path / "peer",
                              source=ROOT / "docs" / "examples" / "ics-peer.yaml")
    suite, profile, reference, _path = load_inputs(CertifyOptions())
    monkeypatch.setitem(sys.modules, "docker", None)     # what an absent package imports as
    sut = container_launched(tmp_path)
    with pytest.raises(UsageError, match=rf"ICS file {sut}: .*'qrinterop\[container\]'$"):
        load_inputs(CertifyOptions(ics=sut))
    with pytest.raises(UsageError, match=rf"--peer-ics {peer}: .*'qrinterop\[container\]'$"):
        load_peer(peer, suite, profile, reference)
    check_launcher(reference)


@pytest.mark.e2e
def test_certify_without_the_docker_sdk_says_so_in_one_line(tmp_path, monkeypatch):
    """Exit 2 before anything starts: no run folder."""
    shadow = tmp_path / "shadow" / "docker"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text('raise ImportError("no docker SDK here")\n')
    monkeypatch.setenv("PYTHONPATH", str(shadow.parent))
    done = run_cli("certify", "--ics", str(container_launched(tmp_path)), "--out",
                   str(tmp_path / "run"))
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert "pip install 'qrinterop[container]'" in done.stderr
    assert not (tmp_path / "run").exists()


# -- the wheel, installed in a fresh environment ----------------------------------------------
def source_files() -> list[str]:
    """The source tree's files as a clone would have them, with any work not yet committed
    (tracked, and untracked but not ignored), relative to its root."""
    done = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others",
                           "--exclude-standard"], capture_output=True, timeout=30, check=False)
    if done.returncode:
        pytest.skip("the wheel is built from a git checkout's files: not a git checkout")
    return [name for name in done.stdout.decode().split("\0") if (ROOT / name).is_file()]


def build_wheel(folder: Path) -> Path:
    """The wheel pip builds from a copy of the source tree (a build in the tree itself would
    ship whatever an earlier build left in build/)."""
    source = folder / "source"
    for name in source_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                    str(folder / "dist"), str(source)], capture_output=True, timeout=300,
                   check=True)
    return next((folder / "dist").glob("qrinterop-*.whl"))


def link_runtime(requirements: list[str], into: Path) -> None:
    """Link into ``into`` the distributions (from this environment) that ``requirements``
    need, extras left out, as ``pip install`` would bring them: a runtime that imports
    anything else fails, without downloading anything."""
    into.mkdir()
    seen: set[str] = set()
    todo = list(requirements)
    while todo:
        requirement = Requirement(todo.pop())
        if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
            continue
        distribution = metadata.distribution(requirement.name)
        if distribution.metadata["Name"].lower() in seen:
            continue
        seen.add(distribution.metadata["Name"].lower())
        todo += distribution.requires or []
        for top in {file.parts[0] for file in distribution.files or []} - {"..", "__pycache__"}:
            if not (into / top).exists():
                (into / top).symlink_to(distribution.locate_file(top))


@dataclass(frozen=True)
class Installed:
    bin: Path                   #: the fresh environment's bin/ folder
    wheel: zipfile.ZipFile      #: the wheel installed there
    requires: list[str]         #: its Requires-Dist


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    """A fresh virtual environment with the wheel installed (no editable link, no source
    tree on its path) and only its runtime dependencies."""
    folder = tmp_path_factory.mktemp("packaging")
    wheel = build_wheel(folder)
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=60)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
                    "--no-deps", "--no-index", str(wheel)], capture_output=True, timeout=120,
                   check=True)
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path("
                                "'purelib'))"], capture_output=True, text=True, check=True,
                               timeout=30).stdout.strip())
    requires = metadata.Distribution.at(next(site.glob("qrinterop-*.dist-info"))).requires
    link_runtime(requires or [], folder / "runtime")
    (site / "qrinterop-runtime.pth").write_text(f"{folder / 'runtime'}\n", encoding="utf-8")
    return Installed(venv / "bin", zipfile.ZipFile(wheel), requires or [])


def clean_env() -> dict[str, str]:
    """The environment, less what would lead the installed tool to the source tree."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "QRINTEROP_SUITE")}


@pytest.mark.e2e
def test_the_wheel_carries_the_library_and_the_whole_suite_and_no_test_tool(installed):
    """Every file of the package and of the suite's folders (the suite's under
    qrinterop/suite/), hidden ones aside: a data file of a new kind needs its pattern in
    pyproject.toml's package data."""
    shipped = {name for name in installed.wheel.namelist() if name.startswith("qrinterop/")}
    wanted = {f"qrinterop/suite/{name}" if name.split("/")[0] in SUITE else name
              for name in source_files() if name.split("/")[0] in {*SUITE, "qrinterop"}
              and not any(part.startswith(".") for part in name.split("/"))}
    assert shipped == wanted
    extras = {Requirement(r).name.lower(): Requirement(r).marker for r in installed.requires}
    for tool in ("pytest", "allure-pytest", "docker"):
        assert extras[tool] is not None, f"{tool} is a runtime dependency"


@pytest.mark.e2e
def test_the_installed_tool_certifies_from_any_folder(installed, tmp_path):
    """``qrinterop certify`` of the wheel, from a folder that is neither the source tree nor
    the installation: the suite is found inside the package, the run folder is created under
    ./reports/ where the command ran, and importing qrinterop loads no test tool."""
    bin_folder = installed.bin
    done = subprocess.run([bin_folder / "qrinterop", "certify", "--tags", "@tc.CPM-01"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=180,
                          env=clean_env(), check=False)
    runs = list((tmp_path / "reports").iterdir())
    assert len(runs) == 1, done.stdout + done.stderr
    report = json.loads((runs[0] / "report.json").read_text(encoding="utf-8"))
    assert {s["id"]: s["verdict"] for s in report["scenarios"]
            if s["verdict"] != "not_applicable"} == {"CPM-01": "pass"}, done.stdout
    assert runs[0].name == report["run"]["id"]
    assert f"Report: {runs[0] / 'report.html'}" in done.stdout
    # A selection leaves other requirements untested: inconclusive, exit 3.
    assert (report["verdict"], done.returncode) == ("inconclusive", 3), done.stderr
    loaded = subprocess.run([bin_folder / "python", "-c", "import sys, qrinterop.cli.main; "
                             f"print(sorted(set({TEST_ONLY!r}) & set(sys.modules)))"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60,
                            env=clean_env(), check=False)
    assert loaded.stdout.strip() == "[]", loaded.stderr


def test_the_harness_commit_is_the_checkout_s_own(tmp_path):
    """A suite installed in a virtual environment inside another repository's work tree does
    not take that repository's commit as its own."""
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True, timeout=30)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "another project"],
                   check=True, timeout=30)
    installed_suite = tmp_path / ".venv" / "lib" / "site-packages" / "qrinterop" / "suite"
    installed_suite.mkdir(parents=True)
    assert harness_commit(installed_suite) is None
    assert len(harness_commit(tmp_path) or "") == 40
