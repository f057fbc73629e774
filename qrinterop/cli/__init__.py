"""Command-line interface: ``qrinterop certify | selftest | serve``."""
