"""Packages of the wheel: ``qrinterop`` and, as ``qrinterop.suite.<folder>``, the certification
suite's folders, which stay at the top of the source tree.

pyproject.toml cannot both find packages and list packages that live elsewhere, so this lists
them; what each folder carries is pyproject.toml's ``[tool.setuptools.package-data]``. Folders
are found as namespace packages (data folders included), as pyproject's own discovery would.
"""

from setuptools import find_namespace_packages, setup

SUITE = {f"qrinterop.suite.{folder}": folder for folder in ("features", "steps", "mocks",
                                                             "vectors")}


def suite_packages() -> list[str]:
    return [name for package, folder in SUITE.items() for name in
            (package, *(f"{package}.{sub}" for sub in
                        find_namespace_packages(folder, exclude=["*__pycache__*"])))]


setup(
    packages=[*find_namespace_packages(include=["qrinterop*"], exclude=["*__pycache__*"]),
              *suite_packages()],
    package_dir=SUITE,
)
