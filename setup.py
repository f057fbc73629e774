"""Packages of the wheel: ``qrinterop`` and, as ``qrinterop.suite.<folder>``, the certification
suite's folders, which stay at the top of the source tree.

pyproject.toml cannot both find packages and list packages that live elsewhere, so this lists
them; what each folder carries is pyproject.toml's ``[tool.setuptools.package-data]``.
"""

from setuptools import find_packages, setup

SUITE = ("features", "steps", "mocks", "vectors")

setup(
    packages=[*find_packages(include=["qrinterop*"]), *(f"qrinterop.suite.{f}" for f in SUITE)],
    package_dir={f"qrinterop.suite.{folder}": folder for folder in SUITE},
)
