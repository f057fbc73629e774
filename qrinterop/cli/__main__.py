"""``python -m qrinterop.cli``: the same as the ``qrinterop`` command."""

from qrinterop.cli.main import main

main()
